import { createHash, randomUUID } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import { type Db, prepared } from '../db/database.js';
import { unnestRows } from '../db/unnest-rows.js';
import type { Logger } from '../logger.js';
import type { Channel, Locale } from '../vocabulary.js';
import { insertCaseSql, reopenCasesSql, upsertContactsSql } from './case-store.js';
import { caseLocale, type InboundMessage } from './inbound-message.js';
import { insertAttachmentsSql, insertMessageRowsSql, ref } from './message-store.js';
import { subjectTagFormat } from './subject-tag-format.js';
import {
  caseNumberFromSubject,
  domainOf,
  reusedMessageIdKey,
  subjectTagMayJoin,
  threadCandidates,
} from './threading.js';

// An inbound message becomes one stored message on a new or existing case: an earlier copy is known by its
// Message-ID and words, the case by the threading headers, then by the subject tag (for the case's own people).
// The look-up and the write each take any number of messages in one statement (see take-in-batch.ts).

export type TakeInResult =
  | { outcome: 'ingested'; caseId: string; caseNumber: string; messageId: string; newCase: boolean }
  | { outcome: 'duplicate' };

/**
 * The channel's own record of its input marked taken, written in the same statement as the messages so both
 * happen or neither; it is given the statement's written messages (id, case_id, raw_mail_id).
 */
export type Settle = (written: RawBuilder<unknown>) => RawBuilder<unknown>;

/** Raised when the Message-ID key keeps clashing beyond any real sequence of copies; the job retries. */
export class IngestClashError extends Error {
  readonly code = 'ingest_key_clash';
}

// A clash on the id, then on the reused-id key (a copy of a second mail at the same moment), is as far as
// real copies go; more means something else is wrong.
const maxKeyClashes = 3;

export interface Found {
  dup_digest: string | null;
  customer_id: string | null;
  customer_locale: string | null;
  /** The locale of the mailbox it came through, when an admin set one for it. */
  mailbox_locale: string | null;
  contact_id: string | null;
  contact_customer_id: string | null;
  thread_case_id: string | null;
  thread_case_number: string | null;
  tag_case_id: string | null;
  tag_case_number: string | null;
  tag_contact_id: string | null;
  tag_customer_id: string | null;
}

/** A message ready to be written: the key it is stored under, and what the look-up found for it. */
export interface Planned {
  m: InboundMessage;
  found: Found;
  storeKey: string;
}

export type Written = Extract<TakeInResult, { outcome: 'ingested' }>;

/** Stores `m` with its `settle` in one statement. Safe to run twice for the same message. */
export async function takeInMessage(
  db: Db,
  logger: Logger,
  m: InboundMessage,
  settle: Settle,
): Promise<TakeInResult> {
  const digest = messageDigest(m);
  for (let clashes = 0; ; clashes++) {
    const [found] = await lookUp(db, [m]);
    const storeKey = await keyFor(db, logger, m, found!, digest);
    if (storeKey === null) return { outcome: 'duplicate' };
    try {
      const [written] = await writeMessages(db, [{ m, found: found!, storeKey }], settle);
      // The case the headers named may have been deleted in between: the job retries and opens a new one.
      if (!written) throw new Error(`the case of ${m.messageId} vanished while the message was stored`);
      return written;
    } catch (err) {
      // Two messages with one Message-ID stored at once (in any mailboxes): the unique index lets one win
      // and the other's statement fails whole, case included. Postgres refuses ours only once the winner has
      // committed, so a fresh look now sees its message and compares the words: a copy is marked so, a
      // different message reusing the id is stored under a key of its own. Never dropped unseen.
      if (!isMessageIdClash(err)) throw err;
      if (clashes >= maxKeyClashes) {
        throw new IngestClashError(`Message-ID key of ${m.messageId} clashed ${clashes + 1} times`);
      }
    }
  }
}

export function isMessageIdClash(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === 'messages_message_id_key';
}

/** A message is known by its Message-ID; a different one reusing it (scanners do) is told apart by its words. */
export function messageDigest(m: InboundMessage): string {
  return createHash('sha256').update(`${m.subject}\n${m.fullText}`, 'utf8').digest('hex');
}

/**
 * Everything the decisions need, in one round trip for all `ms`: an earlier copy of each message, the
 * sender's contact and customer, the case the headers point to (nearest first) and the case the tag names.
 */
export async function lookUp(db: Db, ms: readonly InboundMessage[]): Promise<Found[]> {
  const tagFormat = await subjectTagFormat(db);
  const q = unnestRows(
    ms.map((m, i) => ({
      i,
      mailbox_key: m.mailboxKey,
      message_id: m.messageId,
      domain: domainOf(m.from.address),
      email: m.from.address,
      thread_ids: threadCandidates(m.inReplyTo, m.references),
      tagged: caseNumberFromSubject(m.subject, tagFormat),
    })),
    {
      i: 'int',
      mailbox_key: 'text',
      message_id: 'text',
      domain: 'text',
      email: 'text',
      thread_ids: 'text[]',
      tagged: 'bigint',
    },
    'q',
  );
  const rows = (
    await sql<Found & { i: number }>`${prepared('ingest_lookup')}
      select q.i,
        (select encode(sha256(convert_to(coalesce(subject, '') || chr(10) || coalesce(full_text, ''), 'UTF8')), 'hex')
          from messages where mailbox_key is not null and message_id = q.message_id) as dup_digest,
        cu.id as customer_id, cu.locale as customer_locale,
        (select locale from mailboxes where 'mailbox:' || mailboxes.id::text = q.mailbox_key) as mailbox_locale,
        ct.id as contact_id, ct.customer_id as contact_customer_id,
        th.id as thread_case_id, th.number::text as thread_case_number,
        tg.id as tag_case_id, tg.number::text as tag_case_number,
        tg.contact_id as tag_contact_id, tg.customer_id as tag_customer_id
      from ${q}
      left join lateral (
        select c.id, c.locale from customer_domains d join customers c on c.id = d.customer_id
        where d.domain = q.domain
      ) cu on true
      left join lateral (select id, customer_id from contacts where email = q.email) ct on true
      left join lateral (
        select c.id, c.number from unnest(q.thread_ids) with ordinality as t(message_id, pos)
        join lateral (
          select case_id from messages where message_id = t.message_id
          -- A mail we sent that is not a message of the case (an escalation to a provider): its answer
          -- comes back onto the case.
          union all select case_id from outbox where message_id = t.message_id and purpose = 'escalation'
          limit 1
        ) m on true
        join cases c on c.id = m.case_id
        order by t.pos limit 1
      ) th on true
      left join lateral (
        select id, number, contact_id, customer_id from cases where number = q.tagged
      ) tg on true
      order by q.i
    `.execute(db)
  ).rows;
  return rows;
}

/** The key to store the message under; null when it is a copy of one stored already. */
export async function keyFor(
  db: Db,
  logger: Logger,
  m: InboundMessage,
  found: Found,
  digest: string,
): Promise<string | null> {
  if (found.dup_digest === null) return m.messageId;
  if (found.dup_digest === digest) return null;
  const storeKey = reusedMessageIdKey(m.messageId, digest);
  const again = await db
    .selectFrom('messages')
    .select('id')
    .where('mailbox_key', 'is not', null)
    .where('message_id', '=', storeKey)
    .executeTakeFirst();
  if (again) return null;
  logger.info(
    { rawMailId: m.rawMailId, messageId: m.messageId },
    'a different mail reuses a Message-ID; kept apart',
  );
  return storeKey;
}

/** The case the message joins: the one its headers name, else the one its tag names if the sender may join. */
function existingCase(m: InboundMessage, found: Found): string | null {
  if (found.thread_case_id) return found.thread_case_id;
  // The contact's customer once it is stored: an existing link wins over the domain's customer.
  const senderCustomer = found.contact_customer_id ?? found.customer_id;
  if (
    m.unproven === null &&
    found.tag_case_id &&
    subjectTagMayJoin(
      { contactId: found.contact_id ?? '', customerId: senderCustomer },
      { contactId: found.tag_contact_id!, customerId: found.tag_customer_id },
    )
  ) {
    return found.tag_case_id;
  }
  return null;
}

/** Each planned message with the case it joins or opens, and the ids chosen for what it writes. */
function layOut(items: readonly Planned[]) {
  return items.map(({ m, found, storeKey }) => {
    const existing = existingCase(m, found);
    const proven = m.unproven === null;
    return {
      m,
      storeKey,
      proven,
      messageUuid: randomUUID(),
      existing,
      caseId: existing ?? randomUUID(),
      contact: {
        email: m.from.address,
        name: proven ? m.from.name : null,
        customer_id: proven ? found.customer_id : null,
        vouched: proven,
      },
      // The customer's language, else the mailbox's (an English desk's address), else the words'.
      locale: caseLocale(found.customer_locale ?? found.mailbox_locale, `${m.subject} ${m.text}`, 'en'),
    };
  });
}

/**
 * One statement, so one atomic write without a transaction round trip, for any number of messages: their
 * contacts, their cases (new or reopened), the messages, their attachments, and the channel's settling
 * write. Returns what was written, in the order given; null for a message whose case vanished meanwhile.
 */
export async function writeMessages(
  db: Db,
  items: readonly Planned[],
  settle: Settle,
): Promise<(Written | null)[]> {
  const rows = layOut(items);
  const newCases = rows
    .filter((r) => r.existing === null)
    .map((r) => ({
      id: r.caseId,
      subject: r.m.subject || '(no subject)',
      channel: r.m.channel,
      proven: r.proven,
      email: r.m.from.address,
      locale: r.locale,
    }));
  const written = await sql<{
    message_id: string;
    case_id: string;
    case_number: string;
    new_case: boolean;
  }>`${prepared('ingest_write')}
      with ct as (
        ${upsertContactsSql(rows.map((r) => r.contact))}
      ), reopened as (
        ${reopenCasesSql([...new Set(rows.flatMap((r) => (r.existing ? [r.existing] : [])))])}
      ), created as (
        ${insertCaseSql(
          {
            id: ref<string>('n.id'),
            subject: ref<string>('n.subject'),
            channel: ref<Channel>('n.channel'),
            verified: sql<boolean>`(n.proven and ct.customer_id is not null)`,
            customer_id: sql<string | null>`(case when n.proven then ct.customer_id end)`,
            contact_id: ref<string>('ct.id'),
            locale: ref<Locale>('n.locale'),
          },
          sql`${unnestRows(newCases, { id: 'uuid', subject: 'text', channel: 'text', proven: 'boolean', email: 'text', locale: 'text' }, 'n')}
            join ct on ct.email = n.email`,
        )}
      ), kase as (
        select id, number, false as new_case from reopened union all select id, number, true from created
      ), msg as (
        ${insertMessageRowsSql(rows.map(messageRow), sql`x.case_id in (select id from kase)`)}
        returning id, case_id, raw_mail_id
      ), att as (
        ${insertAttachmentsSql(
          rows.flatMap((r) => r.m.attachments.map((a) => ({ ...a, message_id: r.messageUuid }))),
          sql`x.message_id in (select id from msg)`,
        )}
      ), settled as (
        ${settle(sql`msg`)}
      )
      select msg.id as message_id, kase.id as case_id, kase.number::text as case_number, kase.new_case
      from msg join kase on kase.id = msg.case_id
    `.execute(db);
  const byMessage = new Map(written.rows.map((w) => [w.message_id, w]));
  return rows.map((r) => {
    const w = byMessage.get(r.messageUuid);
    if (!w) return null;
    const { case_id: caseId, case_number: caseNumber, message_id: messageId, new_case: newCase } = w;
    return { outcome: 'ingested' as const, caseId, caseNumber, messageId, newCase };
  });
}

/** An inbound message as one row of the write's input. */
function messageRow(r: ReturnType<typeof layOut>[number]) {
  const { m } = r;
  return {
    id: r.messageUuid,
    case_id: r.caseId,
    direction: 'in' as const,
    author: 'customer' as const,
    channel: m.channel,
    subject: m.subject,
    text: m.text,
    full_text: m.fullText,
    html: m.html,
    from_address: m.from.address,
    from_name: m.from.name,
    mailbox_key: m.mailboxKey,
    message_id: r.storeKey,
    in_reply_to: m.inReplyTo,
    references: m.references,
    raw_mail_id: m.rawMailId,
    auto_reply_blocker: m.autoReplyBlocker,
    sender_unproven: m.unproven,
  };
}
