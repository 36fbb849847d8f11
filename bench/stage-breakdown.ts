import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { type BenchResult, percentile, round } from './bench-result.js';

// Where the product's time went, read back from its own rows: raw_mails.received_at (intake stored it),
// messages.created_at (ingest), outbox.created_at (triage wrote the ack), outbox.sent_at (relay accepted it).
// Timestamps are Postgres now(), i.e. the start of each transaction; ms resolution is plenty here.

interface Row {
  message_id: string;
  raw_ms: string;
  msg_ms: string;
  out_ms: string | null;
  sent_ms: string | null;
}

/** Stage durations (p50/p95) and the moment each stage finished its last mail, relative to `startedAt`. */
export async function stageBreakdown(props: {
  databaseUrl: string;
  /** Figure names start with this, e.g. `email_stage`. */
  namePrefix: string;
  /** Also report when each stage finished its last mail (for a burst). */
  doneAt: boolean;
  /** Message-IDs of the mails of the run start with this, e.g. `<tp-3f9a0c.`. */
  messageIdPrefix: string;
  /** performance.now() of the first APPEND, and of each APPEND's completion. */
  startedAt: number;
  appendedAt: Map<string, number>;
}): Promise<BenchResult[]> {
  const client = new pg.Client({ connectionString: props.databaseUrl });
  await client.connect();
  let rows: Row[];
  try {
    const res = await client.query<Row>(
      `SELECT m.message_id,
              extract(epoch FROM r.received_at) * 1000 AS raw_ms,
              extract(epoch FROM m.created_at) * 1000 AS msg_ms,
              extract(epoch FROM o.created_at) * 1000 AS out_ms,
              extract(epoch FROM o.sent_at) * 1000 AS sent_ms
         FROM messages m
         JOIN raw_mails r ON r.id = m.raw_mail_id
         LEFT JOIN outbox o ON o.trigger_message_id = m.id
        WHERE m.direction = 'in' AND m.message_id LIKE $1`,
      [`${props.messageIdPrefix}%`],
    );
    rows = res.rows;
  } finally {
    await client.end();
  }
  // performance.now() to epoch ms, the clock Postgres uses (same machine).
  const epoch = (t: number) => performance.timeOrigin + t;
  const start = epoch(props.startedAt);
  const intake: number[] = [];
  const ingest: number[] = [];
  const triage: number[] = [];
  const send: number[] = [];
  let lastRaw = 0;
  let lastMsg = 0;
  let lastOut = 0;
  let lastSent = 0;
  for (const r of rows) {
    const raw = Number(r.raw_ms);
    const msg = Number(r.msg_ms);
    const appended = props.appendedAt.get(r.message_id);
    // Only the mails the caller timed (the latency run leaves its cold first mail out).
    if (appended === undefined) continue;
    intake.push(raw - epoch(appended));
    ingest.push(msg - raw);
    lastRaw = Math.max(lastRaw, raw);
    lastMsg = Math.max(lastMsg, msg);
    if (r.out_ms !== null) {
      triage.push(Number(r.out_ms) - msg);
      lastOut = Math.max(lastOut, Number(r.out_ms));
    }
    if (r.out_ms !== null && r.sent_ms !== null) {
      send.push(Number(r.sent_ms) - Number(r.out_ms));
      lastSent = Math.max(lastSent, Number(r.sent_ms));
    }
  }
  const stage = (name: string, values: number[], what: string): BenchResult[] => [
    {
      name: `${props.namePrefix}_${name}_p50_ms`,
      value: round(percentile(values, 50)),
      unit: 'ms',
      note: what,
    },
    { name: `${props.namePrefix}_${name}_p95_ms`, value: round(percentile(values, 95)), unit: 'ms' },
  ];
  const doneAt = (name: string, at: number, what: string): BenchResult => ({
    name: `${props.namePrefix}_${name}_done_at_s`,
    value: at ? round((at - start) / 1000, 2) : Number.NaN,
    unit: 's',
    note: what,
  });
  const stages = [
    ...stage('intake', intake, 'APPEND completed -> raw_mails row (IMAP IDLE/fetch/store/enqueue)'),
    ...stage('ingest', ingest, 'raw_mails row -> messages row (queue wait + parse + case tx)'),
    ...stage('triage', triage, 'messages row -> outbox row (queue wait + triage tx + render)'),
    ...stage('send', send, 'outbox row -> sent_at (queue wait + SMTP + mark sent)'),
  ];
  if (!props.doneAt) return stages;
  return [
    ...stages,
    doneAt('intake', lastRaw, 'last raw mail stored, from first APPEND'),
    doneAt('ingest', lastMsg, 'last message ingested, from first APPEND'),
    doneAt('triage', lastOut, 'last ack written to outbox, from first APPEND'),
    doneAt('send', lastSent, 'last ack marked sent, from first APPEND'),
  ];
}
