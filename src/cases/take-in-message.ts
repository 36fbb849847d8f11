import { createHash } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import { type Db, prepared } from '../db/database.js';
import type { Logger } from '../logger.js';
import { insertCaseSql, reopenCaseSql, upsertContactSql } from './case-store.js';
import { caseLocale, type InboundMessage } from './inbound-message.js';
import { insertAttachmentsSql, insertMessageSql, ref } from './message-store.js';
import {
  caseNumberFromSubject,
  domainOf,
  reusedMessageIdKey,
  subjectTagMayJoin,
  threadCandidates,
} from './threading.js';

// One inbound message becomes one stored message on a new or existing case: an earlier copy is known by its
// Message-ID and words, the case by the threading headers, then by the subject tag (for the case's own people).

export type TakeInResult =
  | { outcome: 'ingested'; caseId: string; caseNumber: string; messageId: string; newCase: boolean }
  | { outcome: 'duplicate' };

/** Raised when the Message-ID key keeps clashing beyond any real sequence of copies; the job retries. */
export class IngestClashError extends Error {
  readonly code = 'ingest_key_clash';
}

// A clash on the id, then on the reused-id key (a copy of a second mail at the same moment), is as far as
// real copies go; more means something else is wrong.
const maxKeyClashes = 3;

interface Found {
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
}

/**
 * Stores `m` and, in the same statement, `settle` (the channel's own record of its input marked taken), so
 * both happen or neither. Safe to run twice for the same message.
 */
export async function takeInMessage(
  db: Db,
  logger: Logger,
  m: InboundMessage,
  settle: RawBuilder<unknown>,
): Promise<TakeInResult> {
  // A message is known by its Message-ID; a different one reusing it (scanners and alert systems do) is told
  // apart by its words and stored under a key of its own.
  const digest = createHash('sha256').update(`${m.subject}\n${m.fullText}`, 'utf8').digest('hex');
  for (let clashes = 0; ; clashes++) {
    const found = await lookUp(db, m);
    const storeKey = await keyFor(db, logger, m, found, digest);
    if (storeKey === null) return { outcome: 'duplicate' };
    try {
      return await write(db, m, found, storeKey, settle);
    } catch (err) {
      // Two messages with one Message-ID stored at once: the unique (mailbox, Message-ID) index lets one win
      // and the other's statement fails whole, case included. Postgres refuses ours only once the winner has
      // committed, so a fresh look now sees its message and compares the words: a copy is marked so, a
      // different message reusing the id is stored under a key of its own. Never dropped unseen.
      const e = err as { code?: string; constraint?: string };
      if (e.code !== '23505' || e.constraint !== 'messages_mailbox_message_id_key') throw err;
      if (clashes >= maxKeyClashes) {
        throw new IngestClashError(`Message-ID key of ${m.messageId} clashed ${clashes + 1} times`);
      }
    }
  }
}

/**
 * Everything the decision needs, in one round trip: an earlier copy of this message, the sender's contact
 * and customer, the case the headers point to (nearest first) and the case the subject tag names.
 */
async function lookUp(db: Db, m: InboundMessage): Promise<Found> {
  const threadIds = threadCandidates(m.inReplyTo, m.references);
  const tagged = caseNumberFromSubject(m.subject);
  return (
    await sql<Found>`${prepared('ingest_lookup')}
      select
        (select encode(sha256(convert_to(coalesce(subject, '') || chr(10) || coalesce(full_text, ''), 'UTF8')), 'hex')
          from messages where mailbox_key = ${m.mailboxKey} and message_id = ${m.messageId}) as dup_digest,
        cu.id as customer_id, cu.locale as customer_locale,
        ct.id as contact_id, ct.customer_id as contact_customer_id,
        th.id as thread_case_id, th.number::text as thread_case_number,
        tg.id as tag_case_id, tg.number::text as tag_case_number,
        tg.contact_id as tag_contact_id, tg.customer_id as tag_customer_id
      from (select 1) as one
      left join lateral (
        select c.id, c.locale from customer_domains d join customers c on c.id = d.customer_id
        where d.domain = ${domainOf(m.from.address)}
      ) cu on true
      left join lateral (select id, customer_id from contacts where email = ${m.from.address}) ct on true
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
}

/** The key to store the message under; null when it is a copy of one stored already. */
async function keyFor(
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
    .where('mailbox_key', '=', m.mailboxKey)
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

/**
 * One statement, so one atomic write without a transaction round trip: the contact, the case (new or
 * reopened), the message, its attachments, and the channel's settling write.
 */
async function write(
  db: Db,
  m: InboundMessage,
  found: Found,
  storeKey: string,
  settle: RawBuilder<unknown>,
): Promise<TakeInResult> {
  const existingCaseId = existingCase(m, found);
  const proven = m.unproven === null;
  const locale = caseLocale(found.customer_locale, `${m.subject} ${m.text}`, 'en');
  const written = (
    await sql<{ message_id: string; case_id: string; case_number: string; new_case: boolean }>`${prepared(
      'ingest_write',
    )}
      with ct as (
        ${upsertContactSql({
          email: m.from.address,
          name: proven ? m.from.name : null,
          customer_id: proven ? found.customer_id : null,
        })}
      ), reopened as (
        ${reopenCaseSql(existingCaseId)}
      ), created as (
        ${insertCaseSql(
          {
            subject: m.subject || '(no subject)',
            channel: m.channel,
            verified: sql<boolean>`${proven}::boolean and ct.customer_id is not null`,
            customer_id: proven ? ref<string | null>('ct.customer_id') : null,
            contact_id: ref<string>('ct.id'),
            locale,
          },
          sql`ct where ${existingCaseId}::uuid is null`,
        )}
      ), kase as (
        select id, number, false as new_case from reopened union all select id, number, true from created
      ), msg as (
        ${insertMessageSql(
          {
            case_id: ref<string>('kase.id'),
            direction: 'in',
            author: 'customer',
            channel: m.channel,
            subject: m.subject,
            text: m.text,
            full_text: m.fullText,
            html: m.html,
            from_address: m.from.address,
            from_name: m.from.name,
            mailbox_key: m.mailboxKey,
            message_id: storeKey,
            in_reply_to: m.inReplyTo,
            references: m.references,
            raw_mail_id: m.rawMailId,
            auto_reply_blocker: m.autoReplyBlocker,
            sender_unproven: m.unproven,
          },
          { from: sql`kase` },
        )}
        returning id
      ), att as (
        ${insertAttachmentsSql('msg', m.attachments)}
      ), settled as (
        ${settle}
      )
      select msg.id as message_id, kase.id as case_id, kase.number::text as case_number, kase.new_case
      from msg, kase
    `.execute(db)
  ).rows[0];
  // The case the headers named may have been deleted in between: the job retries and opens a new one.
  if (!written) throw new Error(`case ${existingCaseId} vanished while the message was stored`);
  return {
    outcome: 'ingested',
    caseId: written.case_id,
    caseNumber: written.case_number,
    messageId: written.message_id,
    newCase: written.new_case,
  };
}
