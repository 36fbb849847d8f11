import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCases, getCase, isTriaged, mail } from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// No amplification: the desk's automatic replies cannot be turned into a mailer for third parties.

const perSender = 1;
const all = 3;

describe('no amplification: capped automatic replies, and no echo to unknown senders', () => {
  let p: ProductUnderTest;
  let seq = 0;

  const send = (from: string, subject: string, body = 'Please help.') =>
    p.mailbox.append(
      mail({ from, subject, body, messageId: `<caps-${++seq}-${Date.now()}@client.example>` }),
    );
  /** Cases whose subject contains the marker, once triage has decided a reply (or none) for each. */
  const triaged = (marker: string, count: number) =>
    p.eventually(
      async () => {
        const cases = await findCases(p, marker);
        return cases.length >= count && cases.every(isTriaged) ? cases : null;
      },
      20_000,
      `${count} cases "${marker}" triaged`,
    );
  const cappedCount = async (scope: 'all' | 'sender') => {
    const text = await (await fetch(`${p.url}/metrics`)).text();
    const m = new RegExp(`^csp_auto_reply_capped_total\\{scope="${scope}"\\} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };

  beforeAll(async () => {
    p = await startProduct({
      AUTO_REPLY_LIMIT_PER_HOUR: String(perSender),
      AUTO_REPLY_LIMIT_PER_HOUR_ALL: String(all),
    });
  });

  afterAll(async () => {
    await p?.stop();
  });

  it("answers an unknown sender without their subject or display name (they may be someone else's)", async () => {
    await send(
      '"Prize desk: claim at http://spam.example/win" <victim@elsewhere.example>',
      'Spam-1 WIN 1,000,000 YEN http://spam.example/claim',
    );
    const [kase] = await triaged('Spam-1', 1);
    const [reply] = await p.sink.waitFor(1);
    expect(reply!.envelopeTo).toEqual(['victim@elsewhere.example']);
    const subject = reply!.parsed.subject ?? '';
    expect(subject).toMatch(new RegExp(`^\\[Case #${kase!.number}\\] `));
    for (const part of [subject, reply!.parsed.text ?? '', reply!.raw.toString('latin1')]) {
      expect(part).not.toContain('spam.example');
      expect(part).not.toContain('Prize desk');
      expect(part).not.toContain('1,000,000');
    }
    // Agents still see what was written.
    expect(kase!.subject).toContain('http://spam.example/claim');
  });

  it('holds replies past the per-sender cap and past the cap for all senders, and counts both', async () => {
    // One sender twice: the second reply passes the per-sender cap (1).
    await send('Robot <robot@loop.example>', 'Cap-A first');
    await triaged('Cap-A first', 1);
    await send('Robot <robot@loop.example>', 'Cap-A second');
    const [second] = await triaged('Cap-A second', 1);
    expect(second!.sends).toEqual([]);
    expect(second!.triage.find((t) => t.step === 'reply')).toMatchObject({ result: 'suppressed' });
    expect(await cappedCount('sender')).toBe(1);

    // Two slots of three are taken (Spam-1, Cap-A first): of five senders at once, one gets a reply.
    await Promise.all(['b', 'c', 'd', 'e', 'f'].map((x) => send(`${x} <${x}@many.example>`, `Cap-B ${x}`)));
    const cases = await triaged('Cap-B', 5);
    const answered = cases.filter((c) => c.sends.length > 0);
    const held = cases.filter((c) => c.sends.length === 0);
    expect(answered).toHaveLength(1);
    expect(held).toHaveLength(4);
    for (const c of held) {
      expect(c.triage.find((t) => t.step === 'reply')).toEqual({
        step: 'reply',
        result: 'suppressed',
        reason: `automatic replies to all senders reached the limit of ${all} this hour: unknown_customer not sent`,
        at: expect.any(String),
      });
    }
    expect(await cappedCount('all')).toBe(4);
    expect(await cappedCount('sender')).toBe(1);
    const mails = await p.sink.waitFor(all);
    await p.eventually(async () => {
      const c = (await getCase(p, answered[0]!.number))!;
      return c.sends.every((s) => s.status === 'sent');
    });
    expect(p.sink.messages).toHaveLength(all);
    expect(mails.map((m) => m.envelopeTo[0]).sort()).toEqual(
      ['robot@loop.example', 'victim@elsewhere.example', answered[0]!.sends[0]!.to].sort(),
    );
  });
});
