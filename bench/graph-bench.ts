import https from 'node:https';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { EntraDouble } from '../test/support/entra-double.js';
import type { GraphMailboxDouble } from '../test/support/graph-mailbox-double.js';
import { graphProductEnv, startMicrosoftPeers } from '../test/support/microsoft-peers.js';
import { AckTracker } from './ack-tracker.js';
import { type BenchResult, percentile, round } from './bench-result.js';
import { CleanupStack } from './cleanup-stack.js';
import { log } from './email-phases.js';
import { buildCorpus } from './mail-corpus.js';
import { startProductChild } from './product-child.js';
import { extractInReplyTo } from './raw-smtp-sink.js';

// Graph mailbox figures: a burst of mails put in the Graph double's inbox, read by the product through delta
// queries and $value and answered through sendMail; mails per second, and Graph requests per mail. The floor
// is the same protocol work by the tightest loop (delta pages, $value and sendMail, four at a time, no
// database, no parsing) against the same double in the same run.

export interface GraphBenchOptions {
  mails: number;
  latencyMails: number;
}

const address = 'support@example.test';
const apiToken = 'bench-admin-token-0123456789';

async function post(url: string, path: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as { id: string };
}

async function firstReadDone(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await client.query('select 1 from graph_sync_state where not initial');
      if (r.rowCount) return;
      if (Date.now() > deadline) throw new Error('the first read of the Graph inbox did not finish');
      await new Promise((res) => setTimeout(res, 100));
    }
  } finally {
    await client.end();
  }
}

/** Pushes every figure into `results` as soon as it is known. */
export async function runGraphBench(opts: GraphBenchOptions, results: BenchResult[]): Promise<void> {
  const cleanup = new CleanupStack();
  try {
    log('graph: starting the Entra and Graph doubles, database, Redis prefix');
    const peers = await startMicrosoftPeers(address, { parseSent: false });
    cleanup.push('stop the doubles, drop the database and the Redis prefix', () => peers.stop());
    const { entra, graph, db, ca } = peers;
    const product = await startProductChild({
      env: {
        ...graphProductEnv(peers, address),
        ADMIN_API_TOKEN: apiToken,
        LOG_LEVEL: 'warn',
        AUTO_REPLY_LIMIT_PER_HOUR_ALL: '1000000',
      },
    });
    cleanup.push('stop the product', () => product.stop());
    await setUpPlan(product.url);
    await firstReadDone(db.url);

    results.push(...(await measureGraphLatency(graph, opts.latencyMails)));
    const productRun = await measureGraphBurst(graph, opts.mails);
    results.push(...productRun.results);
    const rss = product.peakRssMb();
    if (rss !== null)
      results.push({ name: 'graph_product_peak_rss_mb', value: round(rss), unit: 'MiB', note: 'VmHWM' });
    await product.stop();

    const floor = await measureGraphFloor(entra, graph, ca.ca, opts.mails);
    results.push(floor.result, {
      name: 'graph_ratio_product_to_floor',
      value: round(productRun.rate / floor.rate, 3),
      unit: 'ratio',
      note: 'product mails/s over the floor loop, same double, same run',
    });
  } finally {
    await cleanup.run();
  }
}

async function setUpPlan(url: string): Promise<void> {
  const created = await post(url, '/api/plans', {
    name: 'Bench Standard',
    supportType: 'スタンダード サポート (パートナー提供)',
    hours: { timeZone: 'Asia/Tokyo', always: true, weekly: [], holidays: [] },
    contactMethods: [{ kind: 'email', value: address }],
    price: { amount: 50000, currency: 'JPY', unit: 'month' },
    responseTargets: { urgent: 'PT1H', high: 'PT4H', normal: 'P1D', low: 'P3D' },
  });
  await post(url, '/api/customers', {
    name: 'Contoso Japan',
    domains: ['contoso.co.jp'],
    relationship: 'direct',
    planId: created.id,
    locale: 'ja',
    timeZone: 'Asia/Tokyo',
  });
}

function trackAcks(graph: GraphMailboxDouble, ids: string[]): AckTracker {
  const acks = new AckTracker(ids);
  graph.onSent = (mime) =>
    acks.record({ at: performance.now(), inReplyTo: extractInReplyTo(mime), raw: mime });
  return acks;
}

/** One mail at a time: put in the inbox -> its answer at sendMail (GRAPH_POLL_SECONDS=1 bounds the wait). */
async function measureGraphLatency(graph: GraphMailboxDouble, count: number): Promise<BenchResult[]> {
  const mails = buildCorpus({ tag: `glat-${Date.now().toString(36)}`, count, seed: 5 });
  const acks = trackAcks(
    graph,
    mails.map((m) => m.messageId),
  );
  const times: number[] = [];
  for (const m of mails) {
    const at = performance.now();
    graph.deliver(m.raw);
    times.push((await acks.waitFor(m.messageId, 30_000)) - at);
  }
  log(`graph: latency p50 ${round(percentile(times, 50))} ms over ${count} mails`);
  return [
    {
      name: 'graph_ack_latency_p50_ms',
      value: round(percentile(times, 50)),
      unit: 'ms',
      note: `${count} mails one at a time, inbox -> sendMail; delta polled every 1 s`,
    },
    { name: 'graph_ack_latency_p95_ms', value: round(percentile(times, 95)), unit: 'ms' },
  ];
}

async function measureGraphBurst(
  graph: GraphMailboxDouble,
  total: number,
): Promise<{ rate: number; results: BenchResult[] }> {
  const mails = buildCorpus({ tag: `gtp-${Date.now().toString(36)}`, count: total });
  const acks = trackAcks(
    graph,
    mails.map((m) => m.messageId),
  );
  const requestsBefore = graph.requests.length;
  const started = performance.now();
  for (const m of mails) graph.deliver(m.raw);
  const complete = await acks.waitForAll(30_000, 300_000);
  const elapsed = acks.lastAt - started;
  const counts = acks.summary();
  const made = graph.requests.slice(requestsBefore);
  const kind = (r: { path: string }) =>
    r.path.endsWith('/$value') ? 'value' : r.path.endsWith('/sendMail') ? 'send' : 'delta';
  const byKind = { value: 0, send: 0, delta: 0 };
  for (const r of made) byKind[kind(r)]++;
  const rate = counts.answered / (elapsed / 1000);
  log(
    `graph: product ${round(rate)} mails/s, ${counts.missing} missing, ${counts.duplicates} duplicate answers`,
  );
  return {
    rate,
    results: [
      {
        name: 'graph_throughput_mails_per_s',
        value: round(rate),
        unit: 'mails/s',
        note: `${counts.answered}/${total} answers, inbox -> last sendMail${complete ? '' : ' (INCOMPLETE)'}`,
      },
      {
        name: 'graph_requests_per_mail',
        value: round(made.length / Math.max(1, counts.answered), 3),
        unit: 'requests',
        note: `delta ${byKind.delta}, $value ${byKind.value}, sendMail ${byKind.send} for ${counts.answered} mails`,
      },
      { name: 'graph_duplicate_answers', value: counts.duplicates, unit: 'mails' },
    ],
  };
}

/** A request to the double over a keep-alive agent that trusts the test CA. */
function requester(ca: string, token: string) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 4, ca });
  return (url: string, method = 'GET', body?: string): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          agent,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'text/plain',
            prefer: 'odata.maxpagesize=50',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

/** The same protocol work as the product: delta pages, $value and sendMail, four requests at a time. */
async function measureGraphFloor(
  entra: EntraDouble,
  graph: GraphMailboxDouble,
  ca: string,
  total: number,
): Promise<{ rate: number; result: BenchResult }> {
  const tokenRes = await fetchToken(entra, ca);
  const request = requester(ca, tokenRes);
  const user = `${entra.graphUrl}/users/${encodeURIComponent(address)}`;
  // Move the floor's delta position past everything the product run left.
  let link: string | undefined = `${user}/mailFolders/inbox/messages/delta?changeType=created`;
  let page = JSON.parse((await request(link)).toString()) as Record<string, unknown>;
  while (page['@odata.nextLink'])
    page = JSON.parse((await request(String(page['@odata.nextLink']))).toString());
  link = String(page['@odata.deltaLink']);
  const mails = buildCorpus({ tag: `gfl-${Date.now().toString(36)}`, count: total, seed: 13 });
  const acks = trackAcks(
    graph,
    mails.map((m) => m.messageId),
  );
  const started = performance.now();
  for (const m of mails) graph.deliver(m.raw);
  while (link) {
    const p = JSON.parse((await request(link)).toString()) as { value: { id: string }[] } & Record<
      string,
      string
    >;
    const ids = p.value.map((v) => v.id);
    for (let i = 0; i < ids.length; i += 4)
      await Promise.all(
        ids.slice(i, i + 4).map(async (id) => {
          const mime = await request(`${user}/messages/${encodeURIComponent(id)}/$value`);
          const inReplyTo = /^Message-ID:\s*(<[^>]+>)/im.exec(mime.subarray(0, 4096).toString('latin1'))?.[1];
          const reply = `From: ${address}\r\nTo: x@contoso.co.jp\r\nSubject: ack\r\nIn-Reply-To: ${inReplyTo}\r\n\r\nok\r\n`;
          await request(`${user}/sendMail`, 'POST', Buffer.from(reply).toString('base64'));
        }),
      );
    link = p['@odata.nextLink'];
  }
  await acks.waitForAll(10_000, 60_000);
  const rate = acks.summary().answered / ((acks.lastAt - started) / 1000);
  log(`graph: floor ${round(rate)} mails/s`);
  return {
    rate,
    result: {
      name: 'graph_floor_mails_per_s',
      value: round(rate),
      unit: 'mails/s',
      note: 'delta pages -> $value -> sendMail, 4 at a time, no database or parsing',
    },
  };
}

async function fetchToken(entra: EntraDouble, ca: string): Promise<string> {
  const agent = new https.Agent({ ca });
  const body = new URLSearchParams({
    client_id: entra.clientId,
    client_secret: entra.clientSecret,
    grant_type: 'client_credentials',
    scope: `${new URL(entra.graphUrl).origin}/.default`,
  }).toString();
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${entra.loginUrl}/${entra.tenantId}/oauth2/v2.0/token`,
      { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve((JSON.parse(text) as { access_token: string }).access_token));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
