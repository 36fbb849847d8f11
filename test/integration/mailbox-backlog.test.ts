import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addContoso, mail, waitForCase } from '../support/factories.js';
import { isMarker, passMarker } from '../support/pipeline-drain.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
const aMinuteAgo = new Date(Date.now() - 60_000);

describe('mailbox backlog: mail already in the mailbox when the intake first reads it', () => {
  let p: ProductUnderTest;

  const caseBySubject = (needle: string) => waitForCase(p, needle, { timeoutMs: 15_000 });

  beforeAll(async () => {
    p = await startProduct(
      {},
      {},
      {
        beforeStart: async (mailbox) => {
          // Two days old: backlog. A minute old: arrived while the product was being set up, so answered.
          await mailbox.append(
            mail({
              from: 'old@contoso.co.jp',
              subject: '先月の請求書について',
              body: '請求書を再送してください。',
              messageId: '<backlog-old@contoso.co.jp>',
            }),
            [],
            twoDaysAgo,
          );
          await mailbox.append(
            mail({
              from: 'recent@contoso.co.jp',
              subject: 'ライセンスを追加したい',
              body: '10 ライセンス追加できますか。',
              messageId: '<backlog-recent@contoso.co.jp>',
            }),
            [],
            aMinuteAgo,
          );
        },
      },
    );
    await addContoso(p);
  });

  afterAll(async () => {
    await p?.stop();
  });

  it('takes old mail as a case without answering it, and answers what arrived just before and after', async () => {
    const old = await caseBySubject('先月の請求書');
    expect(old.messages[0]!.autoReplyBlocker).toBe('mailbox-backlog');
    const reply = old.triage.find((t) => t.step === 'reply')!;
    expect(reply.result).toBe('suppressed');
    expect(reply.reason).toContain('already in the mailbox');
    expect(old.sends).toEqual([]);

    const recent = await caseBySubject('ライセンスを追加したい');
    expect(recent.messages[0]!.autoReplyBlocker).toBeNull();

    await p.mailbox.append(
      mail({
        from: 'new@contoso.co.jp',
        subject: 'Teams に入れません',
        body: '会議に参加できません。',
        messageId: '<backlog-new@contoso.co.jp>',
      }),
    );
    await caseBySubject('Teams に入れません');
    await p.eventually(async () => p.sink.messages.length >= 2);
    // Every send recorded, then a later mail answered: a reply to the old mail would be out by then.
    await passMarker(p);
    const acks = p.sink.messages.filter((m) => !isMarker(m));
    expect(acks).toHaveLength(2);
    expect(acks.map((m) => m.parsed.inReplyTo).sort()).toEqual([
      '<backlog-new@contoso.co.jp>',
      '<backlog-recent@contoso.co.jp>',
    ]);
  });
});
