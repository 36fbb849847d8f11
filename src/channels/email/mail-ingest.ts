import { sql } from 'kysely';
import {
  type AgentMailDeps,
  type AgentMailIn,
  type AgentMailResult,
  answersAsAgent,
  takeInAgentMail,
} from '../../agents/agent-mail.js';
import type { InboundMessage } from '../../cases/inbound-message.js';
import { quarantineRawMail } from '../../cases/quarantine.js';
import { takeInMessages } from '../../cases/take-in-batch.js';
import type { Settle } from '../../cases/take-in-message.js';
import { type Db, prepared } from '../../db/database.js';
import type { OmittedPart } from '../../db/schema.js';
import type { Logger } from '../../logger.js';
import { noteCutMail } from './cut-mail-note.js';
import { type NormalisedMail, UnparseableMailError } from './normalise-mail.js';
import { createMailParser, type MailParser, type ParsedOrNot } from './parse-pool.js';
import { judgeSender } from './sender-authentication.js';

// A stored raw mail is read, parsed and judged here (the email channel's work), then handed to the case
// core as one inbound message; the raw mail is marked taken in the same statement that stores it.

export interface IngestMailProps {
  db: Db;
  /** Where mail is parsed (parse threads); the calling thread when absent. */
  parser?: Pick<MailParser, 'normaliseMany'>;
  logger: Logger;
  supportAddress: string;
  attachmentMaxBytes: number;
  /** authserv-id of the partner's receiving server (lower case); no Authentication-Results is read without it. */
  authservId?: string;
  attachmentsMaxBytesPerMail?: number;
  /** For mail answering agent notifications: the reply-token keys and what a hand-over renders with. */
  agentMail?: Omit<AgentMailDeps, 'db' | 'logger' | 'supportAddress' | 'authservId'>;
}

export type IngestResult =
  | { outcome: 'ingested'; caseId: string; caseNumber: string; messageId: string; newCase: boolean }
  | { outcome: 'quarantined'; code: string }
  | { outcome: 'duplicate' | 'already-done' }
  | AgentMailResult;

/** A mail of a batch that could not be taken in now (the database went away, say): its own job retries it. */
export type BatchIngestResult = IngestResult | { outcome: 'failed'; error: unknown };

interface RawMailRow {
  id: string;
  mailbox_key: string;
  bytes: Buffer;
  state: string;
  backlog: boolean;
  size: number;
  cut: boolean;
  omitted_parts: OmittedPart[];
}

/** The stored raw mail marked taken, in the statement that writes its message. */
const settleRaw: Settle = (written) =>
  sql`update raw_mails set state = 'ingested', processed_at = now()
    where id in (select raw_mail_id from ${written}) and state = 'received'`;

/** One fetched mail becomes one stored message on a new or existing case. Safe to run twice for the same mail. */
export async function ingestRawMail(props: IngestMailProps, rawMailId: string): Promise<IngestResult> {
  const result = (await ingestRawMails(props, [rawMailId])).get(rawMailId)!;
  if (result.outcome === 'failed') throw result.error;
  return result;
}

/**
 * The mails of one fetch batch: read in one statement, parsed side by side in the parse threads, taken in by
 * the case core together. Returns each mail's outcome by raw mail id.
 */
export async function ingestRawMails(
  props: IngestMailProps,
  rawMailIds: readonly string[],
): Promise<Map<string, BatchIngestResult>> {
  const { db } = props;
  const results = new Map<string, BatchIngestResult>(
    rawMailIds.map((id) => [id, { outcome: 'already-done' }]),
  );
  const raws = (
    await sql<RawMailRow>`${prepared('ingest_raws')}
      select r.id, r.mailbox_key, r.bytes, r.state, r.backlog, r.size, r.cut, r.omitted_parts
      from unnest(${rawMailIds}::bigint[]) as x(id) join raw_mails r on r.id = x.id
      where r.state = 'received' order by r.id`.execute(db)
  ).rows;
  const parsed = await parseAll(props, raws);
  const reads = raws.map((raw, k) => readMail(raw, parsed[k]!));
  const taken: { raw: RawMailRow; message: InboundMessage }[] = [];
  const toAgents: AgentMailIn[] = [];
  for (const [k, raw] of raws.entries()) {
    const read = reads[k]!;
    if (read.ok === 'failed') results.set(raw.id, { outcome: 'failed', error: read.error });
    else if (read.ok && (await isAgents(props, read.mail, read.from)))
      toAgents.push({ rawMailId: raw.id, mail: read.mail, from: read.from });
    else if (read.ok) taken.push({ raw, message: inboundMessage(props, raw, read.mail, read.from) });
    else results.set(raw.id, await quarantine(props, raw.id, read));
  }
  for (const m of toAgents) results.set(m.rawMailId, await agentMail(props, m));
  const outcomes = await takeInMessages(
    db,
    props.logger,
    taken.map((t) => t.message),
    settleRaw,
  );
  for (const [k, { raw, message }] of taken.entries()) {
    const outcome = outcomes[k]!;
    results.set(raw.id, outcome);
    if (outcome.outcome === 'ingested' && message.unproven !== null)
      props.logger.info(
        { rawMailId: raw.id, caseNumber: outcome.caseNumber, authservId: props.authservId },
        'sender not proven by the receiving server: treated as unknown',
      );
  }
  const copies = taken.filter((_, k) => outcomes[k]!.outcome === 'duplicate').map((t) => t.raw.id);
  if (copies.length)
    await db
      .updateTable('raw_mails')
      .set({ state: 'duplicate', processed_at: sql`now()` })
      .where('id', 'in', copies)
      .where('state', '=', 'received')
      .execute();
  return results;
}

/** Whether a parsed mail goes to the agents' path (see answersAsAgent). */
async function isAgents(
  props: IngestMailProps,
  mail: NormalisedMail,
  from: AgentMailIn['from'],
): Promise<boolean> {
  if (!mail.agentReply || !props.agentMail) return mail.agentReply !== null;
  return answersAsAgent({ ...props, ...props.agentMail }, { mail, from });
}

/** Mail answering an agent notification: the agent's answer, or kept as rejected; never a customer's case. */
async function agentMail(props: IngestMailProps, m: AgentMailIn): Promise<BatchIngestResult> {
  if (!props.agentMail)
    return quarantine(props, m.rawMailId, {
      code: 'agent_mail_unconfigured',
      reason: 'an answer to an agent notification, but this process has no reply-token keys',
    });
  try {
    return await takeInAgentMail({ ...props, ...props.agentMail }, m);
  } catch (error) {
    return { outcome: 'failed', error };
  }
}

async function quarantine(
  props: IngestMailProps,
  rawMailId: string,
  read: { code: string; reason: string },
): Promise<BatchIngestResult> {
  try {
    await quarantineRawMail(props.db, rawMailId, read.code, read.reason);
  } catch (error) {
    return { outcome: 'failed', error };
  }
  props.logger.warn({ rawMailId, code: read.code }, 'mail quarantined');
  return { outcome: 'quarantined', code: read.code };
}

const onThisThread = createMailParser({ threads: 0 });

type ReadMail =
  | { ok: true; mail: NormalisedMail; from: NonNullable<NormalisedMail['from']> }
  | { ok: false; code: string; reason: string }
  | { ok: 'failed'; error: unknown };

/** The batch's mails parsed in one hand-over to a parse thread (on this thread without one). */
async function parseAll(props: IngestMailProps, raws: readonly RawMailRow[]): Promise<ParsedOrNot[]> {
  const options = {
    supportAddress: props.supportAddress,
    attachmentMaxBytes: props.attachmentMaxBytes,
    attachmentsMaxBytesPerMail: props.attachmentsMaxBytesPerMail,
  };
  return (props.parser ?? onThisThread).normaliseMany(
    raws.map((r) => r.bytes),
    options,
  );
}

/** The parsed mail with what a cut or backlog mail needs noted; what cannot be read, and why. */
function readMail(raw: RawMailRow, parsed: ParsedOrNot): ReadMail {
  if (!parsed.ok) {
    const err = parsed.error;
    if (!(err instanceof UnparseableMailError)) return { ok: 'failed', error: err };
    return { ok: false, code: err.code, reason: err.message };
  }
  const mail = parsed.mail;
  if (raw.cut) noteCutMail(mail, raw.size, raw.omitted_parts);
  // Mail that sat in the mailbox before the intake came is taken as a case but never auto-answered.
  if (raw.backlog && !mail.autoReplyBlocker) mail.autoReplyBlocker = 'mailbox-backlog';
  if (!mail.from) return { ok: false, code: 'mail_no_sender', reason: 'no usable From address' };
  return { ok: true, mail, from: mail.from };
}

/** The mail as the case core takes it; a sender the receiving server did not vouch for is unproven. */
function inboundMessage(
  props: IngestMailProps,
  raw: RawMailRow,
  mail: NormalisedMail,
  from: NonNullable<NormalisedMail['from']>,
): InboundMessage {
  const verdict = judgeSender(mail.authenticationResults, props.authservId, from.address);
  return {
    channel: 'email',
    from,
    unproven: verdict.status === 'unproven' ? verdict.reason : null,
    subject: mail.subject,
    text: mail.text,
    fullText: mail.fullText,
    html: mail.html,
    attachments: mail.attachments.map((a) => ({
      filename: a.filename,
      content_type: a.contentType,
      size: a.size,
      content: a.content,
      omitted_reason: a.omittedReason,
    })),
    mailboxKey: raw.mailbox_key,
    messageId: mail.messageId,
    inReplyTo: mail.inReplyTo,
    references: mail.references,
    autoReplyBlocker: mail.autoReplyBlocker,
    rawMailId: raw.id,
  };
}
