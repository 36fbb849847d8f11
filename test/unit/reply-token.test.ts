import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { issueReplyToken, readReplyToken, tokenInAddress } from '../../src/agents/reply-token.js';

const key = 'k'.repeat(40);
const newKey = 'n'.repeat(40);
const now = new Date('2026-12-06T10:00:00Z');
const in30Days = new Date(now.getTime() + 30 * 86_400_000);
const facts = { caseNumber: 1042, agentNumber: 7, expiresAt: in30Days };

describe('reply token', () => {
  it('names the case and the agent, fits a local part, and reads back in any letter case', () => {
    const token = issueReplyToken([key], facts);
    expect(token).toMatch(/^[a-z2-7]{20,40}$/);
    const read = readReplyToken([key], token.toUpperCase(), now);
    expect(read).toMatchObject({ ok: true, caseNumber: 1042, agentNumber: 7 });
    expect(read.ok && read.expiresAt >= in30Days).toBe(true);
  });

  it('refuses every changed letter, a token of another key, garbage and an expired token', () => {
    const token = issueReplyToken([key], facts);
    for (let i = 0; i < token.length; i++) {
      for (const c of ['a', 'q', '7']) {
        if (token[i] === c) continue;
        const changed = token.slice(0, i) + c + token.slice(i + 1);
        expect(readReplyToken([key], changed, now).ok).toBe(false);
      }
    }
    expect(readReplyToken([key], token.slice(0, -1), now).ok).toBe(false);
    expect(readReplyToken(['x'.repeat(40)], token, now)).toEqual({ ok: false, reason: 'unknown_key' });
    expect(readReplyToken([key], 'not a token!', now)).toEqual({ ok: false, reason: 'malformed' });
    expect(readReplyToken([key], '', now)).toEqual({ ok: false, reason: 'malformed' });
    // A letter that folds to an ASCII one is not that letter.
    expect(readReplyToken([key], `\u212A${token.slice(1)}`, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(() => readReplyToken([key, ''], token, now)).toThrow('at least 32');
    const later = new Date(in30Days.getTime() + 2 * 86_400_000);
    expect(readReplyToken([key], token, later)).toEqual({ ok: false, reason: 'expired' });
  });

  it('keeps the tokens of the old key working while it is listed after the new one', () => {
    const old = issueReplyToken([key], facts);
    const fresh = issueReplyToken([newKey, key], facts);
    expect(fresh).not.toBe(old);
    expect(readReplyToken([newKey, key], old, now)).toMatchObject({ ok: true, caseNumber: 1042 });
    expect(readReplyToken([newKey, key], fresh, now)).toMatchObject({ ok: true, agentNumber: 7 });
    expect(readReplyToken([newKey], old, now)).toEqual({ ok: false, reason: 'unknown_key' });
    // Two keys with the same one-byte id: each is tried.
    const sameId = Array.from({ length: 2000 }, (_, i) => `${'s'.repeat(32)}${i}`).find(
      (k) => issueReplyToken([k], facts).slice(0, 2) === issueReplyToken([key], facts).slice(0, 2),
    );
    expect(sameId).toBeDefined();
    expect(readReplyToken([sameId!, key], old, now)).toMatchObject({ ok: true, caseNumber: 1042 });
  });

  it('round-trips any case and agent number, and no random string passes', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), fc.nat({ max: 2 ** 31 }), (caseNumber, agentNumber) => {
        const t = issueReplyToken([key], { caseNumber, agentNumber, expiresAt: in30Days });
        expect(readReplyToken([key], t, now)).toMatchObject({ ok: true, caseNumber, agentNumber });
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z2-7]{20,40}$/), (s) => {
        expect(readReplyToken([key], s, now).ok).toBe(false);
      }),
    );
  });

  it('finds the token in a plus-address of the support address only', () => {
    const support = 'support@partner.example';
    expect(tokenInAddress('support+abc234@partner.example', support)).toBe('abc234');
    expect(tokenInAddress('Support+ABC234@Partner.Example', support)).toBe('abc234');
    expect(tokenInAddress('support@partner.example', support)).toBeNull();
    expect(tokenInAddress('support+@partner.example', support)).toBeNull();
    expect(tokenInAddress('support+abc@evil.example', support)).toBeNull();
    expect(tokenInAddress('other+abc@partner.example', support)).toBeNull();
  });
});
