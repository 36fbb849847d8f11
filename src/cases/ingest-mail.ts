import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import {
  type NormalisedMail,
  normaliseMail,
  UnparseableMailError,
} from '../channels/email/normalise-mail.js';
import type { MailParser } from '../channels/email/parse-pool.js';
import { judgeSender } from '../channels/email/sender-authentication.js';
import { type Db, prepared } from '../db/database.js';
import type { OmittedPart } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { noteCutMail } from './cut-mail-note.js';
import { quarantineRawMail } from './quarantine.js';
import {
  caseNumberFromSubject,
  domainOf,
  reusedMessageIdKey,
  subjectTagMayJoin,
  threadCandidates,
} from './threading.js';

export interface IngestMailProps {
  db: Db;
  /** Where mail is parsed (parse threads); the calling thread when absent. */
  parser?: Pick<MailParser, 'normalise'>;
  logger: Logger;
  supportAddress: string;
  attachmentMaxBytes: number;
  /** authserv-id of the partner's receiving server (lower case); no Authentication-Results is read without it. */
  authservId?: string;
  attachmentsMaxBytesPerMail?: number;
}

export type IngestResult =
  | { outcome: 'ingested'; caseId: string; caseNumber: string; messageId: string; newCase: boolean }
  | { outcome: 'quarantined'; code: string }
  | { outcome: 'duplicate' | 'already-done' };

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

const japanese = /[\u3040-\u30ff\u3400-\u9fff]/;

/** Raised when the Message-ID key keeps clashing beyond any real sequence of copies; the job retries. */
export class IngestClashError extends Error {
  readonly code = 'ingest_key_clash';
}

// A clash on the id, then on the reused-id key (a copy of a second mail at the same moment), is as far as
// real copies go; more means something else is wrong.
const maxKeyClashes = 3;

/** One fetched mail becomes one stored message on a new or existing case. Safe to run twice for the same mail. */
export function ingestRawMail(props: IngestMailProps, rawMailId: string): Promise<IngestResult> {
  return ingestAttempt(props, rawMailId, 0);
}

async function ingestAttempt(
  props: IngestMailProps,
  rawMailId: string,
  clashes: number,
): Promise<IngestResult> {
  const { db } = props;
  const raw = (
    await sql<RawMailRow>`${prepared('ingest_raw')}
      select id, mailbox_key, bytes, state, backlog, size, cut, omitted_parts from raw_mails
      where id = ${rawMailId}`.execute(db)
  ).rows[0];
  if (raw?.state !== 'received') return { outcome: 'already-done' };

  let mail: NormalisedMail;
  try {
    const options = {
      supportAddress: props.supportAddress,
      attachmentMaxBytes: props.attachmentMaxBytes,
      attachmentsMaxBytesPerMail: props.attachmentsMaxBytesPerMail,
    };
    mail = await (props.parser?.normalise ?? normaliseMail)(raw.bytes, options);
  } catch (err) {
    if (!(err instanceof UnparseableMailError)) throw err;
    await quarantineRawMail(db, raw.id, err.code, err.message);
    props.logger.warn({ rawMailId, code: err.code }, 'mail quarantined');
    return { outcome: 'quarantined', code: err.code };
  }
  if (raw.cut) noteCutMail(mail, raw.size, raw.omitted_parts);
  // Mail that sat in the mailbox before the intake came is taken as a case but never auto-answered.
  if (raw.backlog && !mail.autoReplyBlocker) mail.autoReplyBlocker = 'mailbox-backlog';
  if (!mail.from) {
    await quarantineRawMail(db, raw.id, 'mail_no_sender', 'no usable From address');
    props.logger.warn({ rawMailId, code: 'mail_no_sender' }, 'mail quarantined');
    return { outcome: 'quarantined', code: 'mail_no_sender' };
  }
  const from = mail.from;
  // A sender the receiving server did not vouch for is a stranger: no customer, no contact link, and no
  // joining a case by a subject tag anyone can type.
  const verdict = judgeSender(mail.authenticationResults, props.authservId, from.address);
  const unproven = verdict.status === 'unproven' ? verdict.reason : null;

  const threadIds = threadCandidates(mail.inReplyTo, mail.references);
  const tagged = caseNumberFromSubject(mail.subject);
  // A mail is known by its Message-ID; a different mail reusing one (scanners and alert systems do) is told
  // apart by its words and stored under a key of its own.
  const digest = createHash('sha256').update(`${mail.subject}\n${mail.fullText}`, 'utf8').digest('hex');
  // Everything the decision needs, in one round trip: an earlier copy of this mail, the sender's contact
  // and customer, the case the headers point to (nearest first) and the case the subject tag names.
  const found = (
    await sql<{
      dup_digest: string | null;
      customer_id: string | null;
      customer_locale: string | null;
      contact_id: string | null;
      contact_customer_id: string | null;
      thread_case_id: string | null;
      thread_case_number: string | null;
      tag_case_id: string | null;
      tag_case_number: string | null;
      tag_contact_id: string | null;
      tag_customer_id: string | null;
    }>`${prepared('ingest_lookup')}
      select
        (select encode(sha256(convert_to(coalesce(subject, '') || chr(10) || coalesce(full_text, ''), 'UTF8')), 'hex')
          from messages where mailbox_key = ${raw.mailbox_key} and message_id = ${mail.messageId}) as dup_digest,
        cu.id as customer_id, cu.locale as customer_locale,
        ct.id as contact_id, ct.customer_id as contact_customer_id,
        th.id as thread_case_id, th.number::text as thread_case_number,
        tg.id as tag_case_id, tg.number::text as tag_case_number,
        tg.contact_id as tag_contact_id, tg.customer_id as tag_customer_id
      from (select 1) as one
      left join lateral (
        select c.id, c.locale from customer_domains d join customers c on c.id = d.customer_id
        where d.domain = ${domainOf(from.address)}
      ) cu on true
      left join lateral (select id, customer_id from contacts where email = ${from.address}) ct on true
      left join lateral (
        select c.id, c.number from unnest(${threadIds}::text[]) with ordinality as t(message_id, pos)
        join messages m on m.message_id = t.message_id join cases c on c.id = m.case_id
        order by t.pos limit 1
      ) th on true
      left join lateral (
        select id, number, contact_id, customer_id from cases where number = ${tagged}::bigint
      ) tg on true
    `.execute(db)
  ).rows[0]!;
  let storeKey = mail.messageId;
  if (found.dup_digest !== null) {
    storeKey = reusedMessageIdKey(mail.messageId, digest);
    const again =
      found.dup_digest === digest ||
      (await db
        .selectFrom('messages')
        .select('id')
        .where('mailbox_key', '=', raw.mailbox_key)
        .where('message_id', '=', storeKey)
        .executeTakeFirst());
    if (again) {
      await markRaw(db, raw.id, 'duplicate');
      return { outcome: 'duplicate' };
    }
    props.logger.info(
      { rawMailId, messageId: mail.messageId },
      'a different mail reuses a Message-ID; kept apart',
    );
  }

  // The contact's customer once it is stored: an existing link wins over the domain's customer.
  const senderCustomer = found.contact_customer_id ?? found.customer_id;
  let existingCaseId: string | null = null;
  if (found.thread_case_id) {
    existingCaseId = found.thread_case_id;
  } else if (
    unproven === null &&
    found.tag_case_id &&
    subjectTagMayJoin(
      { contactId: found.contact_id ?? '', customerId: senderCustomer },
      { contactId: found.tag_contact_id!, customerId: found.tag_customer_id },
    )
  ) {
    existingCaseId = found.tag_case_id;
  }
  const locale = found.customer_locale ?? (japanese.test(`${mail.subject} ${mail.text}`) ? 'ja' : 'en');
  const a = mail.attachments;

  try {
    // One statement, so one atomic write without a transaction round trip: the contact, the case (new or
    // reopened), the message, its attachments, and the raw mail marked done.
    const written = (
      await sql<{
        message_id: string;
        case_id: string;
        case_number: string;
        new_case: boolean;
      }>`${prepared('ingest_write')}
        with ct as (
          insert into contacts (email, name, customer_id)
          values (${from.address}, ${unproven === null ? from.name : null}, ${unproven === null ? found.customer_id : null})
          on conflict (email) do update set name = coalesce(contacts.name, excluded.name),
            customer_id = coalesce(contacts.customer_id, excluded.customer_id)
          returning id, customer_id
        ), reopened as (
          update cases set status = case when status in ('resolved', 'closed') then 'open' else status end,
            updated_at = now()
          where id = ${existingCaseId}::uuid
          returning id, number
        ), created as (
          insert into cases (subject, channel, verified, customer_id, contact_id, locale, due_at)
          select ${mail.subject || '(no subject)'}, 'email', ${unproven}::text is null and ct.customer_id is not null,
            case when ${unproven}::text is null then ct.customer_id end, ct.id, ${locale}, null
          from ct where ${existingCaseId}::uuid is null
          returning id, number
        ), kase as (
          select id, number, false as new_case from reopened union all select id, number, true from created
        ), msg as (
          insert into messages (case_id, direction, author, channel, subject, text, full_text, html, from_address,
            from_name, mailbox_key, message_id, in_reply_to, "references", raw_mail_id, client_id, auto_reply_blocker,
            sender_unproven)
          select kase.id, 'in', 'customer', 'email', ${mail.subject}, ${mail.text}, ${mail.fullText}, ${mail.html},
            ${from.address}, ${from.name}, ${raw.mailbox_key}, ${storeKey}, ${mail.inReplyTo},
            ${mail.references}::text[], ${raw.id}::bigint, null, ${mail.autoReplyBlocker}, ${unproven}
          from kase
          returning id
        ), att as (
          insert into attachments (message_id, filename, content_type, size, content, omitted_reason)
          select msg.id, x.filename, x.content_type, x.size, x.content, x.omitted_reason
          from msg, unnest(${a.map((x) => x.filename)}::text[], ${a.map((x) => x.contentType)}::text[],
            ${a.map((x) => x.size)}::int[], ${a.map((x) => x.content)}::bytea[],
            ${a.map((x) => x.omittedReason)}::text[]) as x(filename, content_type, size, content, omitted_reason)
        ), done as (
          update raw_mails set state = 'ingested', processed_at = now() where id = ${raw.id}::bigint
        )
        select msg.id as message_id, kase.id as case_id, kase.number::text as case_number, kase.new_case
        from msg, kase
      `.execute(db)
    ).rows[0];
    // The case the headers named may have been deleted in between: the job retries and opens a new one.
    if (!written) throw new Error(`case ${existingCaseId} vanished while the mail was ingested`);
    if (unproven !== null) {
      props.logger.info(
        { rawMailId, caseNumber: written.case_number, authservId: props.authservId },
        'sender not proven by the receiving server: treated as unknown',
      );
    }
    return {
      outcome: 'ingested',
      caseId: written.case_id,
      caseNumber: written.case_number,
      messageId: written.message_id,
      newCase: written.new_case,
    };
  } catch (err) {
    // Two mails with one Message-ID ingested at once: the unique (mailbox, Message-ID) index lets one win and
    // the other's statement fails whole, case included. Postgres refuses ours only once the winner has
    // committed, so a fresh look now sees its message and compares the words: a copy is marked so, a
    // different mail reusing the id is stored under a key of its own. Never dropped unseen.
    if (
      (err as { code?: string; constraint?: string }).code === '23505' &&
      (err as { constraint?: string }).constraint === 'messages_mailbox_message_id_key'
    ) {
      if (clashes < maxKeyClashes) return ingestAttempt(props, rawMailId, clashes + 1);
      throw new IngestClashError(`Message-ID key of raw mail ${rawMailId} clashed ${clashes + 1} times`);
    }
    throw err;
  }
}

async function markRaw(db: Db, id: string, state: 'ingested' | 'duplicate'): Promise<void> {
  await db.updateTable('raw_mails').set({ state, processed_at: sql`now()` }).where('id', '=', id).execute();
}
