import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { simpleParser } from 'mailparser';
import { agentReplyMail } from '../test/support/agents.js';
import { createTestDatabase } from '../test/support/database.js';
import { startDovecot } from '../test/support/dovecot.js';
import { mail } from '../test/support/factories.js';
import { createTestMailbox } from '../test/support/mailbox.js';
import { cleanupRedisPrefix, testRedisPrefix } from '../test/support/redis.js';
import type { ReceivedMail } from '../test/support/smtp-sink.js';
import { type BenchResult, percentile, round } from './bench-result.js';
import { CleanupStack } from './cleanup-stack.js';
import { localSocketUrl } from './email-bench.js';
import { log } from './email-phases.js';
import { startProductChild } from './product-child.js';
import { type RawSmtpSink, type SunkMail, startRawSmtpSink } from './raw-smtp-sink.js';

// Agent answer latency: an agent's reply to a notification, appended to the mailbox, until the customer's
// copy of it reaches the relay. The floor, measured in the same run on the same product, is a customer
// mail's acknowledgement (APPEND -> ack at the relay): the shortest path through intake and outbound.

const apiToken = 'bench-admin-token-0123456789';
const support = 'support@example.test';
const agent = 'kato@partner.example';
const redisUrl = 'redis://127.0.0.1:6379';

/** The first mail the sink receives after `from` that `match` accepts. */
function nextMail(sink: RawSmtpSink, from: number, match: (m: SunkMail) => boolean, what: string) {
  return new Promise<SunkMail>((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const look = () => {
      const hit = sink.received.slice(from).find(match);
      if (hit) return resolve(hit);
      if (Date.now() > deadline) return reject(new Error(`no ${what} within 30 s`));
      setTimeout(look, 5);
    };
    look();
  });
}

const isTo = (m: SunkMail, address: string) =>
  m.raw.subarray(0, 4000).toString('latin1').includes(`To: ${address}`);
const isAck = (m: SunkMail) =>
  /^Auto-Submitted: auto-replied/im.test(m.raw.subarray(0, 4000).toString('latin1'));

export async function runAgentBench(opts: { replies: number }, results: BenchResult[]): Promise<void> {
  const cleanup = new CleanupStack();
  try {
    log('agent: starting Dovecot, SMTP sink, database, product');
    const dovecot = await startDovecot();
    cleanup.push('remove the Dovecot folder', () => rm(dovecot.dir, { recursive: true, force: true }));
    cleanup.push('stop Dovecot', () => dovecot.stop());
    const sink = await startRawSmtpSink();
    cleanup.push('stop the SMTP sink', () => sink.stop());
    const testDb = await createTestDatabase();
    cleanup.push('drop the database', () => testDb.drop());
    const prefix = testRedisPrefix();
    cleanup.push('delete the Redis prefix', () => cleanupRedisPrefix(prefix, redisUrl));
    const mailbox = await createTestMailbox(dovecot);
    cleanup.push('delete the folder', () => mailbox.remove());
    const product = await startProductChild({
      env: {
        DATABASE_URL: localSocketUrl(testDb.url),
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        IMAP_URL: mailbox.imapUrl,
        SMTP_URL: sink.url,
        SUPPORT_ADDRESS: support,
        ADMIN_API_TOKEN: apiToken,
        SECRET_KEY: 'bench-reply-token-key-0123456789abcdef',
        LOG_LEVEL: 'warn',
        AUTO_REPLY_LIMIT_PER_HOUR: '1000',
      },
    });
    cleanup.push('stop the product', () => product.stop());
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${product.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string };
    };
    await post('/api/agents', { email: agent, name: '加藤 恵', role: 'agent', locale: 'ja' });

    const acks: number[] = [];
    const answers: number[] = [];
    for (let i = 0; i < opts.replies + 1; i++) {
      const customer = `user${i}@contoso.co.jp`;
      const customerId = `<agent-bench-${i}-${Date.now()}@contoso.co.jp>`;
      const seen = sink.received.length;
      await mailbox.append(
        mail({
          from: customer,
          subject: `Teams の会議 ${i}`,
          body: '会議に参加できません。',
          messageId: customerId,
        }),
      );
      const appended = performance.now();
      const ack = await nextMail(sink, seen, (m) => m.inReplyTo === customerId && isAck(m), 'ack');
      const notice = await nextMail(sink, seen, (m) => isTo(m, agent), 'notification');
      const parsed = await simpleParser(notice.raw);
      const n = {
        raw: notice.raw,
        parsed,
        envelopeFrom: support,
        envelopeTo: [agent],
        secure: false,
      } as ReceivedMail;
      const before = sink.received.length;
      await mailbox.append(
        agentReplyMail({
          from: `加藤 恵 <${agent}>`,
          to: parsed.replyTo?.value[0]?.address ?? '',
          notification: n,
          body: `キャッシュを削除してください (${i})。`,
          messageId: `<agent-bench-reply-${i}-${Date.now()}@partner.example>`,
        }),
      );
      const replied = performance.now();
      const answer = await nextMail(
        sink,
        before,
        (m) => m.inReplyTo === customerId && !isAck(m),
        'answer to the customer',
      );
      // The first round warms the product up and is left out.
      if (i === 0) continue;
      acks.push(ack.at - appended);
      answers.push(answer.at - replied);
      await new Promise((r) => setTimeout(r, 300));
    }
    const ackMedian = percentile(acks, 50);
    const median = percentile(answers, 50);
    log(`agent: answer latency median ${round(median)} ms, p95 ${round(percentile(answers, 95))} ms`);
    results.push(
      {
        name: 'agent_answer_latency_median_ms',
        value: round(median),
        unit: 'ms',
        note: `n=${answers.length}, agent reply APPEND completed -> the customer's copy at the relay`,
      },
      { name: 'agent_answer_latency_p95_ms', value: round(percentile(answers, 95)), unit: 'ms' },
      {
        name: 'agent_floor_ack_latency_median_ms',
        value: round(ackMedian),
        unit: 'ms',
        note: 'floor: a customer mail APPEND -> its ack at the relay, same run',
      },
      {
        name: 'agent_ratio_answer_to_ack_latency',
        value: round(median / ackMedian, 3),
        unit: 'ratio',
        note: 'answer median / ack median',
      },
    );
  } finally {
    await cleanup.run();
  }
}
