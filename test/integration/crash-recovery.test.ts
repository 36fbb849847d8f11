import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { outboxLeaseMs } from '../../src/replies/send-outbox.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/eventually.js';
import { customerInput, mail, standardPlan } from '../support/factories.js';
import { createTestMailbox, type TestMailbox } from '../support/mailbox.js';
import { isMarker, passMarker } from '../support/pipeline-drain.js';
import { apiToken } from '../support/product.js';
import { type ProductProcess, spawnProduct } from '../support/product-process.js';
import { cleanupRedisPrefix, testRedisPrefix } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

// The product runs as a real OS process here, and is killed with SIGKILL: no shutdown hook runs.

describe('crash recovery: SIGKILL at any moment loses nothing and doubles nothing', () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  let mailbox: TestMailbox;
  let prefix: string;
  let env: Record<string, string>;
  let product: ProductProcess | null = null;

  const query = async <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  };
  const api = async (path: string, body: unknown) => {
    const res = await fetch(`${product!.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string };
  };
  const waitUntil = (what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 30_000) =>
    eventually(fn, { timeoutMs, what: () => `${what}\n${product?.output().slice(-3000) ?? ''}` });

  beforeEach(async () => {
    db = await createTestDatabase();
    sink = await startSmtpSink();
    mailbox = await createTestMailbox(inject('dovecot'));
    prefix = testRedisPrefix();
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: prefix,
      IMAP_URL: mailbox.imapUrl,
      SMTP_URL: sink.url,
      SUPPORT_ADDRESS: 'support@example.test',
      ADMIN_API_TOKEN: apiToken,
      LOG_LEVEL: 'warn',
      IMAP_POLL_SECONDS: '2',
    };
    product = await spawnProduct(env);
    const plan = await api('/api/plans', standardPlan);
    await api('/api/customers', customerInput({ planId: plan.id }));
  });

  afterEach(async () => {
    await product?.kill('SIGTERM');
    product = null;
    await mailbox.remove();
    await sink.stop();
    await db.drop();
    await cleanupRedisPrefix(prefix);
  });

  it('killed mid-stream and restarted: every mail has one case, one message and one acknowledgement', async () => {
    const total = 30;
    for (let i = 0; i < total; i++) {
      await mailbox.append(
        mail({
          from: `user${i}@contoso.co.jp`,
          subject: `障害報告 ${i}`,
          body: `メールが届きません (${i})`,
          messageId: `<kill-${i}@contoso.co.jp>`,
        }),
      );
    }
    // Kill while the pipeline is busy: some acks out, most not.
    await waitUntil('the first acknowledgements', () => sink.messages.length >= 3);
    await product!.kill('SIGKILL');
    const acksAtKill = sink.messages.length;
    product = await spawnProduct(env);

    const distinctAcks = () => new Set(sink.messages.map((m) => m.parsed.inReplyTo)).size;
    // A send the killed process had claimed waits for its lease to lapse (outboxLeaseMs) before it is retried.
    await waitUntil(
      'an acknowledgement for every mail',
      () => distinctAcks() === total,
      outboxLeaseMs + 45_000,
    );
    // Give a late duplicate every chance to show up before counting: every send recorded, then a later mail
    // answered. The marker is left out of the counts.
    const marker = await passMarker({ mailbox, sink, db }, outboxLeaseMs + 30_000);
    const mails = sink.messages.filter((m) => !isMarker(m));

    const cases = await query<{ n: string }>(
      `select count(*) as n from cases where id not in (select case_id from messages where message_id = '${marker}')`,
    );
    const inbound = await query<{ n: string; distinct_ids: string }>(
      `select count(*) as n, count(distinct message_id) as distinct_ids from messages where direction = 'in' and message_id is distinct from '${marker}'`,
    );
    const outbox = await query<{ status: string; n: string }>(
      `select status, count(*) as n from outbox where in_reply_to is distinct from '${marker}' group by status`,
    );
    expect(Number(cases[0]!.n)).toBe(total);
    expect(Number(inbound[0]!.n)).toBe(total);
    expect(Number(inbound[0]!.distinct_ids)).toBe(total);
    expect(outbox).toEqual([{ status: 'sent', n: String(total) }]);

    // One acknowledgement per mail, each with one Message-ID fixed before its first attempt.
    const byMail = new Map<string, Set<string>>();
    for (const m of mails) {
      const key = m.parsed.inReplyTo ?? '';
      byMail.set(key, (byMail.get(key) ?? new Set()).add(m.parsed.messageId ?? ''));
    }
    expect(byMail.size).toBe(total);
    for (const ids of byMail.values()) expect(ids.size).toBe(1);
    // A send the relay accepted in the instant before the kill may be repeated (with the same Message-ID);
    // nothing else may be. Repeats are bounded by the sends in flight: one per pooled SMTP connection (4).
    expect(mails.length - total).toBeLessThanOrEqual(4);
    console.info(`acks before kill: ${acksAtKill}; deliveries: ${mails.length} for ${total} mails`);
  }, 150_000);

  it('killed between storing the acknowledgement and the relay accepting it: exactly one acknowledgement after restart', async () => {
    sink.setStall(true);
    await mailbox.append(
      mail({
        from: 'stall@contoso.co.jp',
        subject: '送信中に停止',
        body: 'テスト',
        messageId: '<stall-1@contoso.co.jp>',
      }),
    );
    await waitUntil('the acknowledgement to be mid-send', async () => {
      const rows = await query<{ status: string }>('select status from outbox');
      return rows.length === 1 && rows[0]!.status === 'sending';
    });
    await product!.kill('SIGKILL');
    sink.setStall(false);
    expect(sink.messages).toHaveLength(0);

    product = await spawnProduct(env);
    // The killed process's lease on the send must lapse first: it might still have been talking to the relay.
    await sink.waitFor(1, outboxLeaseMs + 30_000);
    // A second delivery would come before a later mail is answered; the marker is left out of the counts.
    const marker = await passMarker({ mailbox, sink, db });
    const mails = sink.messages.filter((m) => !isMarker(m));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.parsed.inReplyTo).toBe('<stall-1@contoso.co.jp>');
    const rows = await query<{ status: string; attempts: number; message_id: string }>(
      `select status, attempts, message_id from outbox where in_reply_to is distinct from '${marker}'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('sent');
    expect(rows[0]!.attempts).toBeGreaterThanOrEqual(2);
    expect(mails[0]!.parsed.messageId).toBe(rows[0]!.message_id);
  }, 150_000);
});
