import { performance } from 'node:perf_hooks';
import type { ImapServerInfo, TestMailbox } from '../test/support/mailbox.js';
import { AckTracker } from './ack-tracker.js';
import { type BenchResult, percentile, round } from './bench-result.js';
import { runFloor } from './email-floor.js';
import { appendAll } from './imap-appender.js';
import type { BenchMail } from './mail-corpus.js';
import { cpuByCommand, cpuDelta } from './proc-stats.js';
import type { ProductChild } from './product-child.js';
import type { RawSmtpSink } from './raw-smtp-sink.js';
import { readServiceCounters } from './service-counters.js';
import { stageBreakdown } from './stage-breakdown.js';

// The three measurements of the email bench. Each returns its figures; email-bench.ts sets the stage.

export const log = (line: string) => process.stdout.write(`${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function cpuNote(delta: Array<[string, number]>): string {
  return delta
    .slice(0, 6)
    .map(([comm, s]) => `${comm} ${s.toFixed(1)}`)
    .join(', ');
}

/**
 * One mail at a time, each waiting for its ack, then `gapMs` of quiet, so that every mail finds the intake
 * in IDLE as a customer's mail would (back to back, a mail lands while the intake is between IDLE sessions
 * and is seen sooner). The first (cold) mail is reported on its own.
 */
export async function measureLatency(
  mails: BenchMail[],
  mailbox: TestMailbox,
  sink: RawSmtpSink,
  gapMs: number,
  stages: { databaseUrl: string; messageIdPrefix: string },
): Promise<BenchResult[]> {
  const acks = new AckTracker(mails.map((m) => m.messageId));
  sink.onMail = acks.record;
  const latencies: number[] = [];
  const appendedAt = new Map<string, number>();
  let first = Number.NaN;
  for (const [i, mail] of mails.entries()) {
    await mailbox.append(mail.raw);
    const appended = performance.now();
    if (i > 0) appendedAt.set(mail.messageId, appended);
    const arrived = await acks.waitFor(mail.messageId, 30_000);
    if (i === 0) first = arrived - appended;
    else latencies.push(arrived - appended);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  const median = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  log(`email: latency median ${round(median)} ms, p95 ${round(p95)} ms`);
  const span = `min ${round(Math.min(...latencies))}, max ${round(Math.max(...latencies))}`;
  return [
    {
      name: 'email_ack_latency_median_ms',
      value: round(median),
      unit: 'ms',
      note: `n=${latencies.length}, APPEND completed -> ack at the sink, ${gapMs} ms apart; ${span}`,
    },
    { name: 'email_ack_latency_p95_ms', value: round(p95), unit: 'ms' },
    {
      name: 'email_ack_latency_first_ms',
      value: round(first),
      unit: 'ms',
      note: 'cold first mail, not in median/p95',
    },
    // Where the warm mails' time went (p50 per stage); explains the median above.
    ...(
      await stageBreakdown({
        ...stages,
        namePrefix: 'email_latency_stage',
        doneAt: false,
        startedAt: 0,
        appendedAt,
      })
    ).filter((r) => r.name.endsWith('_p50_ms')),
  ];
}

export interface ThroughputContext {
  mails: BenchMail[];
  server: ImapServerInfo;
  folder: string;
  appendConnections: number;
  product: ProductChild;
  sink: RawSmtpSink;
  databaseUrl: string;
  redisUrl: string;
  /** Message-IDs of `mails` start with this (for the stage breakdown). */
  messageIdPrefix: string;
  signal: AbortSignal;
}

/** The burst appended at once; the clock runs from the first APPEND to the last ack. */
export async function measureThroughput(
  ctx: ThroughputContext,
): Promise<{ rate: number; results: BenchResult[] }> {
  const total = ctx.mails.length;
  const acks = new AckTracker(ctx.mails.map((m) => m.messageId));
  const step = Math.max(100, Math.round(total / 8 / 100) * 100);
  let appendStarted = performance.now();
  acks.onProgress = (n) => {
    if (n % step === 0 || n === total)
      log(`email: throughput ${n}/${total} acks after ${seconds(performance.now() - appendStarted)}`);
  };
  ctx.sink.onMail = acks.record;
  const countersBefore = await readServiceCounters(ctx.databaseUrl, ctx.redisUrl);
  const cpuBefore = cpuByCommand();
  const productBefore = ctx.product.cpuTimes();
  const appended = await appendAll(ctx.mails, {
    server: ctx.server,
    folder: ctx.folder,
    connections: ctx.appendConnections,
    onStart: (t) => {
      appendStarted = t;
    },
    signal: ctx.signal,
  });
  const appendMs = appended.endedAt - appended.startedAt;
  log(`email: ${total} mails appended in ${seconds(appendMs)} over ${ctx.appendConnections} connections`);
  const complete = await acks.waitForAll(30_000, 240_000, ctx.signal);
  const productAfter = ctx.product.cpuTimes();
  const burstCpu = cpuDelta(cpuBefore, cpuByCommand());
  const elapsedMs = acks.lastAt - appended.startedAt;
  // A duplicate ack would come within moments of the last one; this also lets Postgres publish its stats.
  await new Promise((r) => setTimeout(r, 2000));
  const countersAfter = await readServiceCounters(ctx.databaseUrl, ctx.redisUrl);
  const counts = acks.summary();
  const rate = counts.answered / (elapsedMs / 1000);
  const per = Math.max(1, counts.answered);
  const seqRows = Object.entries(countersAfter.pgSeqRows)
    .map(([t, n]): [string, number] => [t, n - (countersBefore.pgSeqRows[t] ?? 0)])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const user = (productAfter?.user ?? 0) - (productBefore?.user ?? 0);
  const system = (productAfter?.system ?? 0) - (productBefore?.system ?? 0);
  log(
    `email: product ${round(rate)} mails/s, ${counts.missing} missing, ${counts.duplicates} duplicate acks`,
  );
  const results: BenchResult[] = [
    {
      name: 'email_throughput_mails_per_s',
      value: round(rate),
      unit: 'mails/s',
      note: `${counts.answered}/${total} acks in ${seconds(elapsedMs)}, first APPEND -> last ack${complete ? '' : ' (INCOMPLETE)'}`,
    },
    {
      name: 'email_throughput_acks_missing',
      value: counts.missing,
      unit: 'mails',
      note: 'mails without an ack',
    },
    {
      name: 'email_throughput_acks_duplicate',
      value: counts.duplicates,
      unit: 'acks',
      note: 'acks beyond one per mail',
    },
    {
      name: 'email_throughput_acks_unexpected',
      value: counts.unexpected,
      unit: 'acks',
      note: 'In-Reply-To matched no mail',
    },
    {
      name: 'email_append_duration_ms',
      value: round(appendMs),
      unit: 'ms',
      note: `${round(total / (appendMs / 1000))} mails/s into Dovecot over ${ctx.appendConnections} connections, while the product runs`,
    },
    {
      name: 'email_product_cpu_ms_per_mail',
      value: round(((user + system) * 1000) / per, 2),
      unit: 'ms',
      note: `user ${user.toFixed(1)} s + system ${system.toFixed(1)} s = ${((user + system) / (elapsedMs / 1000)).toFixed(2)} cores over the burst`,
    },
    {
      name: 'email_product_pg_xacts_per_mail',
      value: round((countersAfter.pgTransactions - countersBefore.pgTransactions) / per, 1),
      unit: 'xacts',
      note: 'committed Postgres transactions per mail (an autocommit statement is one); the floor needs 1',
    },
    {
      name: 'email_product_pg_seq_rows_per_mail',
      value: round(seqRows.reduce((s, [, n]) => s + n, 0) / per),
      unit: 'rows',
      note: `rows read by sequential scans per mail: ${seqRows
        .slice(0, 4)
        .map(([t, n]) => `${t} ${round(n / per)}`)
        .join(', ')}`,
    },
    {
      name: 'email_product_redis_cmds_per_mail',
      value: round((countersAfter.redisCommands - countersBefore.redisCommands) / per, 1),
      unit: 'cmds',
      note: 'Redis commands per mail, calls inside BullMQ Lua scripts included (server-wide); the floor needs 0',
    },
    {
      name: 'email_burst_cpu_s',
      value: round(burstCpu.reduce((s, [, c]) => s + c, 0)),
      unit: 's',
      note: `CPU s of all processes (2 cores): ${cpuNote(burstCpu)}`,
    },
  ];
  results.push(
    ...(await stageBreakdown({
      databaseUrl: ctx.databaseUrl,
      namePrefix: 'email_stage',
      doneAt: true,
      messageIdPrefix: ctx.messageIdPrefix,
      startedAt: appended.startedAt,
      appendedAt: appended.appendedAt,
    })),
  );
  return { rate, results };
}

export interface FloorContext {
  mails: BenchMail[];
  server: ImapServerInfo;
  folder: string;
  appendConnections: number;
  concurrency: number;
  sink: RawSmtpSink;
  databaseUrl: string;
  supportAddress: string;
  signal: AbortSignal;
}

/** The same burst in a fresh folder (appended first, not timed), then the tightest loop over it. */
export async function measureFloor(ctx: FloorContext): Promise<{ rate: number; results: BenchResult[] }> {
  const total = ctx.mails.length;
  const appended = await appendAll(ctx.mails, {
    server: ctx.server,
    folder: ctx.folder,
    connections: ctx.appendConnections,
    signal: ctx.signal,
  });
  const appendMs = appended.endedAt - appended.startedAt;
  const acks = new AckTracker(ctx.mails.map((m) => m.messageId));
  ctx.sink.onMail = acks.record;
  log(`email: floor loop over ${total} mails (${ctx.concurrency} in flight)`);
  const benchBefore = process.cpuUsage();
  const cpuBefore = cpuByCommand();
  let floorCpu: Array<[string, number]> = [];
  const floor = await runFloor({
    imap: ctx.server,
    folder: ctx.folder,
    databaseUrl: ctx.databaseUrl,
    smtpUrl: ctx.sink.url,
    supportAddress: ctx.supportAddress,
    concurrency: ctx.concurrency,
    smtpConnections: 4,
    onDone: () => {
      floorCpu = cpuDelta(cpuBefore, cpuByCommand());
    },
  });
  const bench = process.cpuUsage(benchBefore);
  const counts = acks.summary();
  const endedAt = Math.max(floor.endedAt, acks.lastAt);
  const rate = counts.answered / ((endedAt - floor.startedAt) / 1000);
  log(`email: floor ${round(rate)} mails/s`);
  return {
    rate,
    results: [
      {
        name: 'email_floor_mails_per_s',
        value: round(rate),
        unit: 'mails/s',
        note: `fetchAll ${round(floor.fetchedAt - floor.startedAt)} ms, then simpleParser -> INSERT -> pooled sendMail, ${ctx.concurrency} in flight; ${counts.answered}/${total} acks, ${counts.duplicates} duplicates`,
      },
      {
        name: 'email_floor_cpu_ms_per_mail',
        value: round((bench.user + bench.system) / 1000 / Math.max(1, counts.answered), 2),
        unit: 'ms',
        note: `bench process (loop + sink); all processes: ${cpuNote(floorCpu)}`,
      },
      {
        name: 'email_floor_append_duration_ms',
        value: round(appendMs),
        unit: 'ms',
        note: `${round(total / (appendMs / 1000))} mails/s into Dovecot with the product stopped (not in the floor figure)`,
      },
    ],
  };
}

export interface DrainContext {
  mails: BenchMail[];
  server: ImapServerInfo;
  folder: string;
  appendConnections: number;
  product: ProductChild;
  sink: RawSmtpSink;
  signal?: AbortSignal;
}

/**
 * The product over a full mailbox, as the floor is measured: the burst is appended while the product is
 * paused (SIGSTOP), and the clock runs from its resumption to the last ack. The burst figure includes the
 * appends, which slow down as much as the product takes the machine; this one does not.
 */
export async function measureDrain(ctx: DrainContext): Promise<{ rate: number; results: BenchResult[] }> {
  const total = ctx.mails.length;
  const acks = new AckTracker(ctx.mails.map((m) => m.messageId));
  ctx.sink.onMail = acks.record;
  process.kill(ctx.product.pid, 'SIGSTOP');
  let resumed: number;
  try {
    const appended = await appendAll(ctx.mails, {
      server: ctx.server,
      folder: ctx.folder,
      connections: ctx.appendConnections,
      signal: ctx.signal,
    });
    log(
      `email: drain burst of ${total} appended in ${seconds(appended.endedAt - appended.startedAt)} while paused`,
    );
  } finally {
    resumed = performance.now();
    process.kill(ctx.product.pid, 'SIGCONT');
  }
  const complete = await acks.waitForAll(30_000, 240_000, ctx.signal);
  const counts = acks.summary();
  const elapsedMs = acks.lastAt - resumed;
  const rate = counts.answered / (elapsedMs / 1000);
  log(`email: drain ${round(rate)} mails/s, ${counts.missing} missing, ${counts.duplicates} duplicate acks`);
  return {
    rate,
    results: [
      {
        name: 'email_drain_mails_per_s',
        value: round(rate),
        unit: 'mails/s',
        note: `${counts.answered}/${total} acks in ${seconds(elapsedMs)}, resume -> last ack, the mails already in the mailbox${complete ? '' : ' (INCOMPLETE)'}`,
      },
      {
        name: 'email_drain_acks_missing',
        value: counts.missing,
        unit: 'mails',
        note: 'mails without an ack',
      },
      {
        name: 'email_drain_acks_duplicate',
        value: counts.duplicates,
        unit: 'acks',
        note: 'acks beyond one per mail',
      },
    ],
  };
}
