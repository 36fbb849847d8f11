import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueConnection } from '../../src/redis-connection.js';
import { addContoso, mail } from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// The job lock (seconds) is shorter than a slow relay may take to answer; when the lock is lost mid-send,
// BullMQ hands the job to another run. The outbox lease, not the job lock, decides who sends.

describe('send once: a reply whose job lock is lost mid-send goes out once', () => {
  let p: ProductUnderTest;
  let redis: Redis;
  let outbound: Queue;
  const rows = async <T>(query: string) => (await sql.raw<T>(query).execute(p.runtime.db)).rows;

  beforeAll(async () => {
    p = await startProduct();
    await addContoso(p);
    redis = new Redis('redis://127.0.0.1:6379');
    outbound = new Queue('outbound', {
      connection: queueConnection('redis://127.0.0.1:6379'),
      prefix: p.prefix,
    });
  });

  afterAll(async () => {
    await outbound?.close();
    redis?.disconnect();
    await p?.stop();
  });

  it('the relay answers DATA after the job was handed to another run: one delivery, recorded as sent', async () => {
    p.sink.setHold(true);
    await p.mailbox.append(
      mail({
        from: 'slow@contoso.co.jp',
        subject: '遅いリレー',
        body: '返信は一通だけ',
        messageId: '<slow-relay-1@contoso.co.jp>',
      }),
    );
    await p.eventually(async () => p.sink.heldCount() === 1, 20_000, 'the relay to hold the first DATA');
    const [row] = await rows<{ id: string }>('select id from outbox');
    const jobId = `out-${row!.id}`;

    // The lock is lost (a Redis fail-over, a blocked event loop): the stall checker gives the job to a new run.
    expect(await redis.del(`${p.prefix}:outbound:${jobId}:lock`)).toBe(1);
    await p.eventually(
      async () => {
        const job = await outbound.getJob(jobId);
        if (!job || job.stalledCounter < 1) return false;
        // Either the new run sent the reply a second time, or it waits for the lease of the first.
        return p.sink.heldCount() >= 2 || (await job.getState()) === 'delayed';
      },
      30_000,
      'the stalled job to run again',
    );

    p.sink.setHold(false);
    p.sink.releaseHeld();
    await p.eventually(
      async () => (await outbound.getJobState(jobId)) === 'completed',
      30_000,
      'the outbound job to complete',
    );
    expect(p.sink.heldCount()).toBe(0);
    expect(p.sink.messages).toHaveLength(1);
    expect(p.sink.messages[0]!.parsed.inReplyTo).toBe('<slow-relay-1@contoso.co.jp>');
    const [sent] = await rows<{ status: string; lease_owner: string | null }>(
      'select status, lease_owner from outbox',
    );
    expect(sent!.status).toBe('sent');
    expect(sent!.lease_owner).toBeNull();
  });

  it('a delivery that cannot be recorded is not handed back: the retry waits, nothing goes out twice', async () => {
    const before = p.sink.messages.length;
    await sql`create function refuse_sent() returns trigger language plpgsql as $$
      begin if new.status = 'sent' then raise exception 'recording refused'; end if; return new; end $$`.execute(
      p.runtime.db,
    );
    await sql`create trigger refuse_sent before update on outbox for each row execute function refuse_sent()`.execute(
      p.runtime.db,
    );
    try {
      await p.mailbox.append(
        mail({
          from: 'record@contoso.co.jp',
          subject: '記録できない送信',
          body: '一通だけ届くはず',
          messageId: '<not-recorded-1@contoso.co.jp>',
        }),
      );
      await p.sink.waitFor(before + 1, 20_000);
      const [row] = await rows<{ id: string }>(
        "select id from outbox where in_reply_to = '<not-recorded-1@contoso.co.jp>'",
      );
      const jobId = `out-${row!.id}`;
      // The job failed once (the delivery not recorded) and ran again: that run found the claim still held.
      await p.eventually(
        async () => {
          const job = await outbound.getJob(jobId);
          return !!job && job.attemptsStarted >= 2 && ['delayed', 'waiting'].includes(await job.getState());
        },
        30_000,
        'the job to run again after the unrecorded delivery',
      );
      expect(p.sink.messages).toHaveLength(before + 1);
      const [claimed] = await rows<{ status: string; lease_owner: string | null }>(
        `select status, lease_owner from outbox where id = '${row!.id}'`,
      );
      expect(claimed).toMatchObject({ status: 'sending' });
      expect(claimed!.lease_owner).not.toBeNull();
    } finally {
      await sql`drop trigger refuse_sent on outbox`.execute(p.runtime.db);
      await sql`drop function refuse_sent()`.execute(p.runtime.db);
    }
  });
});
