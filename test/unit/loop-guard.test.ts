import { describe, expect, it } from 'vitest';
import { autoReplyBlocker, type LoopGuardInput, sameMailbox } from '../../src/channels/email/loop-guard.js';

const support = 'support@example.test';

/** Headers as a mail parser would hand them over: names are matched case-insensitively. */
function guardInput(
  headers: Record<string, string>,
  from: string | null = 'taro.yamada@fabrikam.example',
  supportAddress = support,
): LoopGuardInput & { asked: string[] } {
  const map = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const asked: string[] = [];
  return {
    asked,
    header(name) {
      asked.push(name);
      return map.get(name);
    },
    hasHeader(name) {
      asked.push(name);
      return map.has(name);
    },
    from,
    supportAddress,
  };
}

describe('autoReplyBlocker: a person writing for help', () => {
  it('lets an ordinary customer mail through', () => {
    expect(
      autoReplyBlocker(guardInput({ Subject: 'Cannot sign in', 'Return-Path': '<taro@fabrikam.example>' })),
    ).toBe(null);
  });

  it('asks for header names in lower case only (the contract of LoopGuardInput)', () => {
    const input = guardInput({});
    autoReplyBlocker(input);
    expect(input.asked.length).toBeGreaterThan(0);
    for (const name of input.asked) expect(name).toBe(name.toLowerCase());
  });
});

describe('autoReplyBlocker: RFC 3834 Auto-Submitted', () => {
  it.each(['auto-replied', 'auto-generated', 'auto-notified', 'AUTO-REPLIED', '  Auto-Generated  '])(
    'blocks Auto-Submitted: %s',
    (value) => {
      expect(autoReplyBlocker(guardInput({ 'Auto-Submitted': value }))).toBe('auto-submitted');
    },
  );

  it.each(['no', 'No', 'NO', ' no ', 'no; comment'])(
    'allows Auto-Submitted: %s (a person sent it)',
    (value) => {
      expect(autoReplyBlocker(guardInput({ 'Auto-Submitted': value }))).toBe(null);
    },
  );

  it('matches the header name case-insensitively', () => {
    expect(autoReplyBlocker(guardInput({ 'AUTO-SUBMITTED': 'auto-replied' }))).toBe('auto-submitted');
  });

  it('wins over the later checks (it is checked first)', () => {
    expect(
      autoReplyBlocker(
        guardInput({ 'Auto-Submitted': 'auto-replied', Precedence: 'bulk', 'List-Id': '<x>' }, null),
      ),
    ).toBe('auto-submitted');
  });
});

describe('autoReplyBlocker: X-Auto-Response-Suppress (Exchange)', () => {
  it.each(['All', 'OOF', 'AutoReply', 'DR, OOF', 'RN, NRN, AutoReply', 'all'])('blocks %s', (value) => {
    expect(autoReplyBlocker(guardInput({ 'X-Auto-Response-Suppress': value }))).toBe(
      'x-auto-response-suppress',
    );
  });

  it.each(['DR', 'NDR', 'RN, NRN', ''])('does not block %j alone (only receipts suppressed)', (value) => {
    expect(autoReplyBlocker(guardInput({ 'X-Auto-Response-Suppress': value }))).toBe(null);
  });
});

describe('autoReplyBlocker: Precedence', () => {
  it.each(['bulk', 'list', 'junk', 'auto_reply', 'BULK', ' List '])('blocks Precedence: %s', (value) => {
    expect(autoReplyBlocker(guardInput({ Precedence: value }))).toBe('precedence');
  });

  it.each(['first-class', 'normal'])('allows Precedence: %s', (value) => {
    expect(autoReplyBlocker(guardInput({ Precedence: value }))).toBe(null);
  });
});

describe('autoReplyBlocker: mailing lists', () => {
  it('blocks anything with a List-Id', () => {
    expect(autoReplyBlocker(guardInput({ 'List-Id': 'Tenant admins <admins.fabrikam.example>' }))).toBe(
      'list-id',
    );
  });

  it('blocks a newsletter that has List-Unsubscribe but no List-Id', () => {
    expect(autoReplyBlocker(guardInput({ 'List-Unsubscribe': '<https://news.example/u/1>' }))).toBe(
      'list-id',
    );
  });
});

describe('autoReplyBlocker: null reverse path (RFC 3834 §2, RFC 5321)', () => {
  it.each(['<>', ' <> ', ''])('blocks Return-Path: %j', (value) => {
    expect(autoReplyBlocker(guardInput({ 'Return-Path': value }))).toBe('empty-return-path');
  });

  it('allows a real Return-Path', () => {
    expect(autoReplyBlocker(guardInput({ 'Return-Path': '<bounce@fabrikam.example>' }))).toBe(null);
  });
});

describe('autoReplyBlocker: robot senders', () => {
  it('blocks mail without a sender', () => {
    expect(autoReplyBlocker(guardInput({}, null))).toBe('no-sender');
    expect(autoReplyBlocker(guardInput({}, ''))).toBe('no-sender');
  });

  it.each([
    'MAILER-DAEMON@mx.fabrikam.example',
    'mailer-daemon@mx.example',
    'postmaster@fabrikam.example',
    'PostMaster@x.example',
  ])('treats %s as a delivery report sender', (from) => {
    expect(autoReplyBlocker(guardInput({}, from))).toBe('mailer-daemon');
  });

  it.each([
    'noreply@microsoft.example',
    'no-reply@sharepointonline.example',
    'NoReply@fabrikam.example',
    'do-not-reply@billing.example',
    'donotreply@billing.example',
    'noreply-billing@vendor.example',
    'bounce@lists.example',
    'bounces@lists.example',
    'bounces+abc123@lists.example',
    'daemon@host.example',
  ])('treats %s as a no-reply robot', (from) => {
    expect(autoReplyBlocker(guardInput({}, from))).toBe('no-reply');
  });

  // Regression (fixed): `noreply-.*` has no hyphenated twin, so `no-reply-<suffix>` is answered automatically.
  it('treats no-reply-aws@amazon.example (hyphenated no-reply with a suffix) as a no-reply robot', () => {
    expect(autoReplyBlocker(guardInput({}, 'no-reply-aws@amazon.example'))).toBe('no-reply');
  });

  it.each([
    'reply@fabrikam.example',
    'noreplyteam@fabrikam.example',
    'daemonology@fabrikam.example',
    'norah@x.example',
  ])('does not treat the person %s as a robot', (from) => {
    expect(autoReplyBlocker(guardInput({}, from))).toBe(null);
  });
});

describe('autoReplyBlocker: our own mailbox', () => {
  it.each([
    'support@example.test',
    'Support@Example.TEST',
    'support+case1042@example.test',
    'SUPPORT+x@EXAMPLE.test',
  ])('blocks %s (our own address, plus-addressed or not)', (from) => {
    expect(autoReplyBlocker(guardInput({}, from))).toBe('own-address');
  });

  it('does not block the same local part at another domain', () => {
    expect(autoReplyBlocker(guardInput({}, 'support@fabrikam.example'))).toBe(null);
  });

  it('compares against a mixed-case configured support address', () => {
    expect(autoReplyBlocker(guardInput({}, 'support@example.test', 'Support@Example.Test'))).toBe(
      'own-address',
    );
  });
});

describe('sameMailbox', () => {
  it.each([
    ['support@example.test', 'support@example.test'],
    ['support+token@example.test', 'support@example.test'],
    ['support@example.test', 'support+token@example.test'],
    ['support+a@example.test', 'support+b@example.test'],
    ['SUPPORT@EXAMPLE.TEST', 'support@example.test'],
  ])('%s is the mailbox %s', (a, b) => {
    expect(sameMailbox(a, b)).toBe(true);
  });

  it.each([
    ['support@example.test', 'support@example.org'],
    ['supporter@example.test', 'support@example.test'],
    ['help+support@example.test', 'support@example.test'],
    ['support@sub.example.test', 'support@example.test'],
  ])('%s is not the mailbox %s', (a, b) => {
    expect(sameMailbox(a, b)).toBe(false);
  });
});
