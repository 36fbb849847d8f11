import type { DestinationStream } from 'pino';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { type Runtime, type RuntimeOptions, startRuntime } from '../../src/runtime.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createTestMailbox, type TestMailbox } from './mailbox.js';
import { cleanupRedisPrefix, testRedisPrefix } from './redis.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';

export const apiToken = 'test-admin-token-0123456789';

export interface ProductUnderTest {
  runtime: Runtime;
  url: string;
  db: TestDatabase;
  mailbox: TestMailbox;
  sink: SmtpSink;
  prefix: string;
  env: Record<string, string>;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Polls until fn returns a truthy value. */
  eventually<T>(
    fn: () => Promise<T | undefined | null | false>,
    timeoutMs?: number,
    what?: string,
  ): Promise<T>;
  stop(): Promise<void>;
}

/** The whole product in this process against a fresh database, Redis prefix, mailbox and SMTP sink. */
export async function startProduct(
  extraEnv: Record<string, string> = {},
  options: RuntimeOptions = {},
  hooks: {
    /** Runs against the fresh mailbox before the product starts, e.g. to leave mail in it. */
    beforeStart?: (mailbox: TestMailbox) => Promise<void>;
    /** The IMAP_URL the product gets, e.g. through a relay; the mailbox's own URL when absent. */
    imapUrl?: (mailbox: TestMailbox) => string;
    /** Options of the SMTP sink (a relay asking for AUTH, refusing a recipient). */
    sink?: Parameters<typeof startSmtpSink>[0];
    /** The SMTP_URL the product gets, e.g. with credentials; the sink's own URL when absent. */
    smtpUrl?: (sink: SmtpSink) => string;
    /** The product's root logger, e.g. one that keeps its lines for a test to read. */
    logger?: Logger;
    /** Where the product's log lines go (stdout when absent). */
    logTo?: DestinationStream;
  } = {},
): Promise<ProductUnderTest> {
  const db = await createTestDatabase();
  const sink = await startSmtpSink(hooks.sink);
  const mailbox = await createTestMailbox(inject('dovecot'));
  await hooks.beforeStart?.(mailbox);
  const prefix = testRedisPrefix();
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_PREFIX: prefix,
    IMAP_URL: hooks.imapUrl?.(mailbox) ?? mailbox.imapUrl,
    SMTP_URL: hooks.smtpUrl?.(sink) ?? sink.url,
    SUPPORT_ADDRESS: 'support@example.test',
    PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_API_TOKEN: apiToken,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    IMAP_POLL_SECONDS: '5',
    ...extraEnv,
  };
  const logger = hooks.logger ?? createLogger(env.LOG_LEVEL, hooks.logTo);
  const runtime = await startRuntime(loadConfig(env), logger, options);
  const url = runtime.url!;
  return {
    runtime,
    url,
    db,
    mailbox,
    sink,
    prefix,
    env,
    async api<T>(method: string, path: string, body?: unknown) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
    async eventually<T>(
      fn: () => Promise<T | undefined | null | false>,
      timeoutMs = 15_000,
      what = 'condition',
    ) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      await runtime.stop();
      await mailbox.remove();
      await sink.stop();
      await db.drop();
      await cleanupRedisPrefix(prefix);
    },
  };
}

export const standardPlan = {
  name: 'Standard',
  supportType: 'スタンダード サポート (パートナー提供)',
  hours: { timeZone: 'Asia/Tokyo', always: true, weekly: [], holidays: [] },
  contactMethods: [
    { kind: 'email', value: 'support@example.test' },
    { kind: 'phone', value: '03-1234-5678' },
  ],
  price: { amount: 50000, currency: 'JPY', unit: 'month' },
  responseTargets: { urgent: 'PT1H', high: 'PT4H', normal: 'P1D', low: 'P3D' },
};

/** The standard plan and a direct customer, Contoso Japan (contoso.co.jp, ja, Tokyo), through the API. */
export async function addContoso(p: ProductUnderTest): Promise<{ planId: string; customerId: string }> {
  const plan = await p.api<{ id: string }>('POST', '/api/plans', standardPlan);
  if (plan.status !== 201) throw new Error(`POST /api/plans answered ${plan.status}`);
  const customer = await p.api<{ id: string }>('POST', '/api/customers', {
    name: 'Contoso Japan',
    domains: ['contoso.co.jp'],
    relationship: 'direct',
    planId: plan.body.id,
    locale: 'ja',
    timeZone: 'Asia/Tokyo',
  });
  if (customer.status !== 201) throw new Error(`POST /api/customers answered ${customer.status}`);
  return { planId: plan.body.id, customerId: customer.body.id };
}

/** A plain mail as a customer's client would write it. */
export function mail(opts: {
  from: string;
  subject: string;
  body: string;
  messageId: string;
  inReplyTo?: string;
  headers?: Record<string, string>;
}): string {
  const lines = [
    `From: ${opts.from}`,
    'To: support@example.test',
    `Subject: ${opts.subject}`,
    `Message-ID: ${opts.messageId}`,
    'Date: Wed, 25 Nov 2026 10:00:00 +0900',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  if (opts.inReplyTo) lines.push(`In-Reply-To: ${opts.inReplyTo}`, `References: ${opts.inReplyTo}`);
  for (const [k, v] of Object.entries(opts.headers ?? {})) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n${opts.body.replace(/\n/g, '\r\n')}\r\n`;
}

/** The case whose subject holds `needle`, once triage has decided its reply (polls the API). */
export function triagedCaseBySubject<T extends { triage: Array<{ step: string }> }>(
  p: ProductUnderTest,
  needle: string,
  timeoutMs = 15_000,
): Promise<T> {
  return p.eventually(
    async () => {
      const list = await p.api<{ items: Array<{ number: number; subject: string }> }>(
        'GET',
        '/api/cases?limit=100',
      );
      const hit = list.body.items.find((c) => c.subject.includes(needle));
      if (!hit) return null;
      const kase = (await p.api<T>('GET', `/api/cases/${hit.number}`)).body;
      return kase.triage.some((t) => t.step === 'reply') ? kase : null;
    },
    timeoutMs,
    `the case "${needle}" to be triaged`,
  );
}
