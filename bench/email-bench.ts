import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { createTestDatabase } from '../test/support/database.js';
import { startDovecot } from '../test/support/dovecot.js';
import { createTestMailbox } from '../test/support/mailbox.js';
import { cleanupRedisPrefix, testRedisPrefix } from '../test/support/redis.js';
import { type BenchResult, round } from './bench-result.js';
import { CleanupStack } from './cleanup-stack.js';
import { log, measureDrain, measureFloor, measureLatency, measureThroughput } from './email-phases.js';
import { buildCorpus } from './mail-corpus.js';
import { type ProductChild, startProductChild } from './product-child.js';
import { startRawSmtpSink } from './raw-smtp-sink.js';

// Email figures: ack latency one mail at a time, throughput of a burst, and the same burst through the
// tightest hand-written loop (the floor). The product runs as its own process, as in production; every
// sender is distinct, so the per-sender hourly auto-reply limit never suppresses an ack.

/** The same database through the local Unix socket, when the server listens on one. */
export function localSocketUrl(url: string): string {
  const dir = '/var/run/postgresql';
  if (!existsSync(dir)) return url;
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') return url;
  return `postgres://${u.username}${u.password ? `:${u.password}` : ''}@localhost${u.pathname}?host=${encodeURIComponent(dir)}&port=${u.port || 5432}`;
}

export interface EmailBenchOptions {
  /** ROLE=worker processes started next to the ROLE=all product. */
  extraWorkers?: number;
  /** Connect to Postgres over TCP even when a local Unix socket is there. */
  pgTcp?: boolean;
  mails: number;
  latencyMails: number;
  /** Quiet time after each latency ack before the next mail. */
  latencyGapMs: number;
  appendConnections: number;
  floorConcurrency: number;
  /** Run the product with --cpu-prof and write the profile here. */
  cpuProfDir?: string;
}

const apiToken = 'bench-admin-token-0123456789';
const root = fileURLToPath(new URL('../', import.meta.url));
const supportAddress = 'support@example.test';
const redisUrl = 'redis://127.0.0.1:6379';
const targets = { throughput: 100, ratio: 0.3 };
// Product settings a run may override from the environment, e.g. WORKER_CONCURRENCY=16 npm run bench.
const tunables = [
  'WORKER_CONCURRENCY',
  'IMAP_FETCH_BATCH',
  'IMAP_POLL_SECONDS',
  'MAIL_PARSE_THREADS',
] as const;

const plan = {
  name: 'Bench Standard',
  supportType: 'スタンダード サポート (パートナー提供)',
  hours: { timeZone: 'Asia/Tokyo', always: true, weekly: [], holidays: [] },
  contactMethods: [
    { kind: 'email', value: supportAddress },
    { kind: 'phone', value: '03-1234-5678' },
  ],
  price: { amount: 50000, currency: 'JPY', unit: 'month' },
  responseTargets: { urgent: 'PT1H', high: 'PT4H', normal: 'P1D', low: 'P3D' },
};

async function post(product: ProductChild, path: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${product.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as { id: string };
}

/** Pushes every figure into `results` as soon as it is known, so a failure later keeps what was measured. */
export async function runEmailBench(opts: EmailBenchOptions, results: BenchResult[]): Promise<void> {
  const started = performance.now();
  const cleanup = new CleanupStack();
  const run = randomBytes(3).toString('hex');
  const overrides = Object.fromEntries(
    tunables.filter((k) => process.env[k]).map((k) => [k, process.env[k] as string]),
  );
  try {
    log('email: starting Dovecot, SMTP sink, database, Redis prefix');
    const dovecot = await startDovecot();
    // An imap process that was still writing when the master went can leave files behind for a moment.
    cleanup.push('remove the Dovecot folder', () =>
      rm(dovecot.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }),
    );
    cleanup.push('stop Dovecot', () => dovecot.stop());
    const sink = await startRawSmtpSink();
    cleanup.push('stop the SMTP sink', () => sink.stop());
    const testDb = await createTestDatabase();
    // On one machine, Postgres through its Unix socket costs about a third less CPU per query than through
    // loopback TCP; the product and the floor both use it when it is there (--pg-tcp to compare).
    const db = { ...testDb, url: opts.pgTcp ? testDb.url : localSocketUrl(testDb.url) };
    cleanup.push('drop the database', () => db.drop());
    const prefix = testRedisPrefix();
    cleanup.push('delete the Redis prefix', () => cleanupRedisPrefix(prefix, redisUrl));
    const mailbox = await createTestMailbox(dovecot);
    cleanup.push('delete the product folder', () => mailbox.remove());

    log(
      `email: starting the product (node --import tsx src/main.ts)${opts.cpuProfDir ? ' with --cpu-prof' : ''}`,
    );
    const product = await startProductChild({
      env: {
        DATABASE_URL: db.url,
        REDIS_URL: redisUrl,
        REDIS_PREFIX: prefix,
        IMAP_URL: mailbox.imapUrl,
        SMTP_URL: sink.url,
        SUPPORT_ADDRESS: supportAddress,
        ADMIN_API_TOKEN: apiToken,
        LOG_LEVEL: 'warn',
        // The burst is 2,000 mails in a minute from as many senders: above any sane cap for all senders.
        AUTO_REPLY_LIMIT_PER_HOUR_ALL: '1000000',
        ...overrides,
      },
      cpuProfDir: opts.cpuProfDir,
    });
    cleanup.push('stop the product', () => product.stop());
    // Extra ROLE=worker processes next to ROLE=all, as a deployment on several cores would run them.
    for (let i = 0; i < (opts.extraWorkers ?? 0); i++) {
      const worker = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/root',
          DATABASE_URL: db.url,
          REDIS_URL: redisUrl,
          REDIS_PREFIX: prefix,
          SMTP_URL: sink.url,
          SUPPORT_ADDRESS: supportAddress,
          LOG_LEVEL: 'warn',
          AUTO_REPLY_LIMIT_PER_HOUR_ALL: '1000000',
          ROLE: 'worker',
          ...overrides,
        },
        stdio: 'ignore',
      });
      cleanup.push('stop an extra worker', async () => {
        if (worker.exitCode !== null) return;
        const exited = once(worker, 'exit');
        worker.kill('SIGTERM');
        await exited;
      });
      const ingest = new Queue('ingest', { connection: { url: redisUrl }, prefix });
      try {
        const deadline = Date.now() + 60_000;
        while ((await ingest.getWorkersCount()) < 2 + i) {
          if (Date.now() > deadline) throw new Error('extra worker did not start within 60 s');
          await new Promise((r) => setTimeout(r, 200));
        }
      } finally {
        await ingest.close();
      }
    }
    if (opts.extraWorkers) log(`email: ${opts.extraWorkers} extra ROLE=worker process(es) running`);
    const created = await post(product, '/api/plans', plan);
    await post(product, '/api/customers', {
      name: 'Contoso Japan',
      domains: ['contoso.co.jp'],
      relationship: 'direct',
      planId: created.id,
      locale: 'ja',
      timeZone: 'Asia/Tokyo',
    });

    const latencyMails = buildCorpus({ tag: `lat-${run}`, count: opts.latencyMails + 1, seed: 7 });
    results.push(
      ...(await measureLatency(latencyMails, mailbox, sink, opts.latencyGapMs, {
        databaseUrl: db.url,
        messageIdPrefix: `<lat-${run}.`,
      })),
    );

    const mails = buildCorpus({ tag: `tp-${run}`, count: opts.mails });
    const productRun = await measureThroughput({
      mails,
      server: dovecot,
      folder: mailbox.path,
      appendConnections: opts.appendConnections,
      product,
      sink,
      databaseUrl: db.url,
      redisUrl,
      messageIdPrefix: `<tp-${run}.`,
      signal: cleanup.signal,
    });
    results.push(...productRun.results);
    const drain = await measureDrain({
      mails: buildCorpus({ tag: `dr-${run}`, count: opts.mails, seed: 11 }),
      server: dovecot,
      folder: mailbox.path,
      appendConnections: opts.appendConnections,
      product,
      sink,
      signal: cleanup.signal,
    });
    results.push(...drain.results);

    const rss = product.peakRssMb();
    if (rss !== null)
      results.push({
        name: 'email_product_peak_rss_mb',
        value: round(rss),
        unit: 'MiB',
        note: 'VmHWM of the product process',
      });
    const lines = product.lineCount();
    results.push({
      name: 'email_product_log_lines',
      value: lines,
      unit: 'lines',
      note: 'lines logged at LOG_LEVEL=warn',
    });
    if (lines)
      log(
        `email: the product logged ${lines} lines at warn or above; the last ones:\n${product.output().split('\n').slice(-8).join('\n')}`,
      );
    // The floor gets the machine to itself.
    const stopStarted = performance.now();
    const exit = await product.stop();
    results.push({
      name: 'email_product_sigterm_exit_ms',
      value: round(performance.now() - stopStarted),
      unit: 'ms',
      note: `SIGTERM -> exit, exit code ${exit}`,
    });
    if (opts.cpuProfDir) log(`email: product CPU profile written to ${opts.cpuProfDir}`);

    const floorBox = await createTestMailbox(dovecot);
    cleanup.push('delete the floor folder', () => floorBox.remove());
    const floor = await measureFloor({
      mails,
      server: dovecot,
      folder: floorBox.path,
      appendConnections: opts.appendConnections,
      concurrency: opts.floorConcurrency,
      sink,
      databaseUrl: db.url,
      supportAddress,
      signal: cleanup.signal,
    });
    results.push(...floor.results);

    const ratio = productRun.rate / floor.rate;
    results.push(
      {
        name: 'email_ratio_product_to_floor',
        value: round(ratio, 3),
        unit: 'ratio',
        note: 'product / floor',
      },
      {
        name: 'email_ratio_drain_to_floor',
        value: round(drain.rate / floor.rate, 3),
        unit: 'ratio',
        note: 'product over a full mailbox / floor (both start with the mails in the mailbox)',
      },
    );
    const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
    results.push(
      {
        name: 'email_target_throughput_met',
        value: productRun.rate >= targets.throughput ? 1 : 0,
        unit: 'bool',
        note: `product >= ${targets.throughput} mails/s (reported, not asserted)`,
      },
      {
        name: 'email_target_ratio_met',
        value: ratio >= targets.ratio ? 1 : 0,
        unit: 'bool',
        note: `product / floor >= ${targets.ratio} (reported, not asserted)`,
      },
    );
    log(
      `email: target product >= ${targets.throughput} mails/s: ${met(productRun.rate >= targets.throughput)} (${round(productRun.rate)})`,
    );
    log(
      `email: target product / floor >= ${targets.ratio}: ${met(ratio >= targets.ratio)} (${round(ratio, 3)})`,
    );
  } finally {
    await cleanup.run();
    results.push({
      name: 'email_bench_duration_s',
      value: round((performance.now() - started) / 1000),
      unit: 's',
      note: Object.entries(overrides)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    });
  }
}
