import type { DestinationStream } from 'pino';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { type Runtime, type RuntimeOptions, startRuntime } from '../../src/runtime.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { eventually } from './eventually.js';
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
      return eventually(fn, { timeoutMs, what });
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
