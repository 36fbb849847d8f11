import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { createTestDatabase } from '../test/support/database.js';
import { cleanupRedisPrefix, testRedisPrefix } from '../test/support/redis.js';
import { type BenchResult, percentile, round } from './bench-result.js';
import { localSocketUrl } from './email-bench.js';
import { startProductChild } from './product-child.js';

// Chat figures: N concurrent socket.io clients each sending M messages (one at a time, waiting for the
// ack), against the product and, in the same run, against a bare socket.io echo server.

const root = fileURLToPath(new URL('../', import.meta.url));

interface LoadResult {
  latencies: number[];
  /** Latencies of each client's first message (which opens the case) and of the others. */
  first: number[];
  later: number[];
  errors: number;
  seconds: number;
}

/** gapMs 0: each client sends its next message as soon as the last is acked (saturation); otherwise every
 * client sends one message per gapMs, starting at a random point of the first gap (a steady offered load). */
async function load(url: string, clients: number, perClient: number, gapMs: number): Promise<LoadResult> {
  const sockets: Socket[] = [];
  // Connect in waves so the connection burst is not what is measured.
  for (let i = 0; i < clients; i += 100) {
    const wave = Array.from({ length: Math.min(100, clients - i) }, () => {
      const s = io(`${url}/chat`, {
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        auth: {},
      });
      sockets.push(s);
      return new Promise<void>((resolve, reject) => {
        s.once('session', () => resolve());
        s.once('connect_error', reject);
      });
    });
    await Promise.all(wave);
  }
  const latencies: number[] = [];
  const firstLat: number[] = [];
  const laterLat: number[] = [];
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    sockets.map(async (s, c) => {
      const first = performance.now() + (gapMs ? Math.random() * gapMs : 0);
      for (let m = 0; m < perClient; m++) {
        const wait = first + m * gapMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const t0 = performance.now();
        try {
          const ack = (await s.timeout(30_000).emitWithAck('message', {
            text: `bench message ${m} from client ${c}`,
            clientId: `b${c}m${m}`,
          })) as {
            id?: string;
          };
          if (ack.id) {
            const ms = performance.now() - t0;
            latencies.push(ms);
            (m === 0 ? firstLat : laterLat).push(ms);
          } else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  for (const s of sockets) s.disconnect();
  return { latencies, first: firstLat, later: laterLat, errors, seconds };
}

export async function runChatBench(
  opts: { clients: number; messages: number; gapMs: number; pgTcp?: boolean },
  results: BenchResult[],
) {
  const log = (s: string) => process.stdout.write(`chat: ${s}\n`);
  const db = await createTestDatabase();
  const databaseUrl = opts.pgTcp ? db.url : localSocketUrl(db.url);
  const prefix = testRedisPrefix();
  const product = await startProductChild({
    env: {
      DATABASE_URL: databaseUrl,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      // One address opens every connection here; the per-address limits are for the open internet.
      CHAT_MESSAGES_PER_MINUTE_PER_IP: '1000000',
      CHAT_CONNECTIONS_PER_MINUTE_PER_IP: '1000000',
      CHAT_MESSAGES_PER_10S_PER_CONNECTION: '1000',
    },
  });
  const echo = spawn(process.execPath, ['--import', 'tsx', 'bench/chat-echo-server.ts'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [chunk] = (await once(echo.stdout!, 'data')) as [Buffer];
    const echoUrl = `http://127.0.0.1:${chunk.toString().trim()}`;
    const offered = round((opts.clients * 1000) / opts.gapMs);
    log(
      `${opts.clients} clients, ${opts.messages} messages each, one per ${opts.gapMs} ms (${offered} msgs/s offered)`,
    );
    const p = await load(product.url, opts.clients, opts.messages, opts.gapMs);
    log('the same against a bare socket.io echo server');
    const e = await load(echoUrl, opts.clients, opts.messages, opts.gapMs);
    log(`${opts.clients} clients sending back to back (saturation)`);
    const sat = await load(product.url, opts.clients, opts.messages, 0);
    log('the same against the echo server');
    const satEcho = await load(echoUrl, opts.clients, opts.messages, 0);
    const total = opts.clients * opts.messages;
    const pP50 = percentile(p.latencies, 50);
    const pP99 = percentile(p.latencies, 99);
    const eP50 = percentile(e.latencies, 50);
    const eP99 = percentile(e.latencies, 99);
    results.push(
      {
        name: 'chat_messages_per_s',
        value: round(p.latencies.length / p.seconds),
        unit: 'msgs/s',
        note: `${p.latencies.length}/${total} acked in ${round(p.seconds)} s; ${opts.clients} concurrent clients, ${offered} msgs/s offered; ${p.errors} errors`,
      },
      {
        name: 'chat_ack_p50_ms',
        value: round(pP50),
        unit: 'ms',
        note: 'send -> ack (stored in Postgres, queued for triage)',
      },
      {
        name: 'chat_ack_p99_ms',
        value: round(pP99),
        unit: 'ms',
        note: 'target < 250 ms (reported, not asserted)',
      },
      {
        name: 'chat_ack_first_message_p99_ms',
        value: round(percentile(p.first, 99)),
        unit: 'ms',
        note: `the message that opens the case; p50 ${round(percentile(p.first, 50))} ms`,
      },
      {
        name: 'chat_ack_later_messages_p99_ms',
        value: round(percentile(p.later, 99)),
        unit: 'ms',
        note: `messages on an open case; p50 ${round(percentile(p.later, 50))} ms`,
      },
      {
        name: 'chat_echo_p50_ms',
        value: round(eP50, 2),
        unit: 'ms',
        note: 'bare socket.io echo server, same clients and pace',
      },
      { name: 'chat_echo_p99_ms', value: round(eP99, 2), unit: 'ms' },
      {
        name: 'chat_ratio_p50_product_to_echo',
        value: round(pP50 / eP50, 2),
        unit: 'ratio',
        note: 'target < 10 (reported, not asserted)',
      },
      {
        name: 'chat_saturated_messages_per_s',
        value: round(sat.latencies.length / sat.seconds),
        unit: 'msgs/s',
        note: `each client sends back to back; p50 ${round(percentile(sat.latencies, 50))} ms, p99 ${round(percentile(sat.latencies, 99))} ms; ${sat.errors} errors`,
      },
      {
        name: 'chat_saturated_echo_messages_per_s',
        value: round(satEcho.latencies.length / satEcho.seconds),
        unit: 'msgs/s',
        note: `echo server, back to back; p50 ${round(percentile(satEcho.latencies, 50), 1)} ms, p99 ${round(percentile(satEcho.latencies, 99), 1)} ms`,
      },
      {
        name: 'chat_saturated_ratio_p50_product_to_echo',
        value: round(percentile(sat.latencies, 50) / percentile(satEcho.latencies, 50), 2),
        unit: 'ratio',
        note: 'both back to back; target < 10 (reported, not asserted)',
      },
      { name: 'chat_target_p99_met', value: pP99 < 250 ? 1 : 0, unit: 'bool', note: 'paced load' },
      {
        name: 'chat_target_ratio_met',
        value: percentile(sat.latencies, 50) / percentile(satEcho.latencies, 50) < 10 ? 1 : 0,
        unit: 'bool',
        note: 'saturated load (with a paced load the echo answers in well under a millisecond)',
      },
      { name: 'chat_product_peak_rss_mb', value: round(product.peakRssMb() ?? Number.NaN), unit: 'MiB' },
    );
  } finally {
    echo.kill('SIGTERM');
    await product.stop();
    await db.drop();
    await cleanupRedisPrefix(prefix);
  }
}
