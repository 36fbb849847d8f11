import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runAdminBench } from './admin-bench.js';
import { runAgentBench } from './agent-bench.js';
import { type BenchResult, formatTable, round } from './bench-result.js';
import { runChatBench } from './chat-bench.js';
import { cleanupAll } from './cleanup-stack.js';
import { runEmailBench } from './email-bench.js';
import { runGraphBench } from './graph-bench.js';
import { runTextPassesBench } from './text-passes-bench.js';
import { runTriageBench } from './triage-bench.js';

// `npm run bench [-- options]`: runs every bench in sequence, prints the figures and writes
// bench/results.json. Speed is reported, never asserted: the exit code is non-zero only when a bench broke.
//   --only email            run one bench (default: all): email, graph, agent, text, triage, chat, admin
//   --mails 2000            size of the throughput burst (and of the floor run)
//   --latency-mails 20      mails for the latency figures (plus one cold one reported apart)
//   --latency-gap-ms 500    quiet time after each latency ack, so the next mail finds the intake in IDLE
//   --append-connections 4  parallel IMAP connections delivering the burst
//   --floor-concurrency 8   mails in flight in the floor loop
//   --cpu-prof              run the product with --cpu-prof; the .cpuprofile path is printed
//   --pg-tcp                reach Postgres over loopback TCP even where its Unix socket is there
//   --extra-workers 0       ROLE=worker processes to run next to the ROLE=all product
//   --chat-clients 1000     concurrent socket.io clients in the chat bench
//   --chat-messages 5       messages each chat client sends, one at a time
//   --chat-gap-ms 4000      pause between one client's messages (1,000 clients: 250 msgs/s offered)
// WORKER_CONCURRENCY, IMAP_FETCH_BATCH and IMAP_POLL_SECONDS in the environment are passed to the product.

interface Bench {
  name: string;
  run(results: BenchResult[]): Promise<void>;
}

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    mails: { type: 'string', default: '2000' },
    'latency-mails': { type: 'string', default: '20' },
    'latency-gap-ms': { type: 'string', default: '500' },
    'append-connections': { type: 'string', default: '4' },
    'floor-concurrency': { type: 'string', default: '8' },
    'cpu-prof': { type: 'boolean', default: false },
    'pg-tcp': { type: 'boolean', default: false },
    'extra-workers': { type: 'string', default: '0' },
    'chat-clients': { type: 'string', default: '1000' },
    'chat-messages': { type: 'string', default: '5' },
    'chat-gap-ms': { type: 'string', default: '4000' },
  },
});

function positive(name: string, raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
  return n;
}

const benches: Bench[] = [
  {
    name: 'email',
    run: (results) =>
      runEmailBench(
        {
          mails: positive('mails', values.mails),
          latencyMails: positive('latency-mails', values['latency-mails']),
          latencyGapMs: positive('latency-gap-ms', values['latency-gap-ms']),
          appendConnections: positive('append-connections', values['append-connections']),
          floorConcurrency: positive('floor-concurrency', values['floor-concurrency']),
          pgTcp: values['pg-tcp'],
          extraWorkers: Number(values['extra-workers']) || 0,
          cpuProfDir: values['cpu-prof'] ? mkdtempSync(path.join(os.tmpdir(), 'bench-cpuprof-')) : undefined,
        },
        results,
      ),
  },
  {
    name: 'graph',
    run: (results) =>
      runGraphBench(
        {
          mails: positive('mails', values.mails),
          latencyMails: positive('latency-mails', values['latency-mails']),
        },
        results,
      ),
  },
  { name: 'agent', run: (results) => runAgentBench({ replies: 20 }, results) },
  { name: 'admin', run: (results) => runAdminBench({ cases: 5000, loads: 20 }, results) },
  { name: 'text', run: (results) => runTextPassesBench(results) },
  { name: 'triage', run: (results) => runTriageBench({ cases: 5000, runs: 5 }, results) },
  {
    name: 'chat',
    run: (results) =>
      runChatBench(
        {
          clients: positive('chat-clients', values['chat-clients']),
          messages: positive('chat-messages', values['chat-messages']),
          gapMs: positive('chat-gap-ms', values['chat-gap-ms']),
          pgTcp: values['pg-tcp'],
        },
        results,
      ),
  },
];

const resultsFile = fileURLToPath(new URL('./results.json', import.meta.url));

function write(results: BenchResult[]): void {
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
}

// Ctrl-C: tear everything down at once; the bench in progress then fails, and results.json is left as it was.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
    void cleanupAll().finally(() => {
      setTimeout(() => process.exit(130), 5000).unref();
    });
  });
}

async function main(): Promise<number> {
  const selected = values.only ? benches.filter((b) => b.name === values.only) : benches;
  if (!selected.length)
    throw new Error(`no bench named ${values.only} (have: ${benches.map((b) => b.name).join(', ')})`);
  const results: BenchResult[] = [];
  let failed = 0;
  const started = performance.now();
  for (const bench of selected) {
    try {
      await bench.run(results);
    } catch (err) {
      if (interrupted) break;
      failed++;
      process.stderr.write(`bench: ${bench.name} failed: ${(err as Error).stack ?? err}\n`);
    }
  }
  if (interrupted) {
    await cleanupAll();
    return 130;
  }
  results.push({
    name: 'bench_total_duration_s',
    value: round((performance.now() - started) / 1000),
    unit: 's',
  });
  process.stdout.write(`\n${formatTable(results)}\n\n`);
  write(results);
  process.stdout.write(`bench: wrote ${path.relative(process.cwd(), resultsFile)}\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
