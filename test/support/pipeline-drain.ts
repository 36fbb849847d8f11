import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { eventually } from './eventually.js';
import { mail } from './factories.js';
import type { TestMailbox } from './mailbox.js';
import type { ReceivedMail, SmtpSink } from './smtp-sink.js';

// A test that checks that something did NOT happen (no second acknowledgement, no late duplicate) cannot wait
// for it; it waits for the pipeline to have nothing left to do, then for a later mail to come all the way
// through: by then whatever an earlier mail could still cause has happened.

/** Work the pipeline still holds, as Postgres shows it. */
export interface PipelineBacklog {
  /** Raw mails fetched but not yet ingested, quarantined or found to be copies. */
  rawMails: number;
  /** Inbound messages without a triage record. */
  untriaged: number;
  /** Outbox rows not sent, logged or failed yet. */
  openSends: number;
}

export async function pipelineBacklog(databaseUrl: string): Promise<PipelineBacklog> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ raw: number; untriaged: number; open: number }>(
      `select
        (select count(*)::int from raw_mails where state = 'received') as raw,
        (select count(*)::int from messages m where m.direction = 'in'
           and not exists (select 1 from triage_records t where t.message_id = m.id)) as untriaged,
        (select count(*)::int from outbox where status in ('pending', 'sending')) as open`,
    );
    const r = rows[0]!;
    return { rawMails: r.raw, untriaged: r.untriaged, openSends: r.open };
  } finally {
    await client.end();
  }
}

/** Polls until nothing is waiting to be ingested, triaged or sent. */
export function pipelineIdle(databaseUrl: string, timeoutMs = 20_000): Promise<PipelineBacklog> {
  let last: PipelineBacklog | undefined;
  return eventually(
    async () => {
      last = await pipelineBacklog(databaseUrl);
      return last.rawMails + last.untriaged + last.openSends === 0 ? last : null;
    },
    { timeoutMs, what: () => `the pipeline to be idle (left: ${JSON.stringify(last)})` },
  );
}

const markerDomain = 'marker.example';

/** A mail the helper below sent through the pipeline: leave it out when counting a test's own mails. */
export const isMarker = (m: ReceivedMail): boolean =>
  (m.parsed.inReplyTo ?? '').endsWith(`@${markerDomain}>`);

/** Cases, messages and outbox rows of marker mails have this in their contact address / Message-ID. */
export const markerSqlPattern = `%@${markerDomain}%`;

/**
 * Waits until the pipeline is idle, then sends a marker mail (from an unknown sender, so it gets the
 * unknown_customer reply) and waits for its reply at the relay and for its outbox row to be recorded.
 * Answers the marker's Message-ID.
 */
export async function passMarker(
  target: { mailbox: Pick<TestMailbox, 'append'>; sink: SmtpSink; db: { url: string } },
  timeoutMs = 30_000,
): Promise<string> {
  await pipelineIdle(target.db.url, timeoutMs);
  const token = randomBytes(4).toString('hex');
  const messageId = `<marker-${token}@${markerDomain}>`;
  await target.mailbox.append(
    mail({
      from: `marker-${token}@${markerDomain}`,
      subject: `marker ${token}`,
      body: 'A later mail: once it is answered, everything before it has been.',
      messageId,
    }),
  );
  await eventually(async () => target.sink.messages.some((m) => m.parsed.inReplyTo === messageId), {
    timeoutMs,
    what: `the reply to the marker ${messageId}`,
  });
  await pipelineIdle(target.db.url, timeoutMs);
  return messageId;
}
