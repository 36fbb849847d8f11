import { sql } from 'kysely';
import {
  type NormalisedMail,
  normaliseMail,
  UnparseableMailError,
} from '../channels/email/normalise-mail.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import { quarantineRawMail } from './quarantine.js';
import { caseNumberFromSubject, domainOf, subjectTagMayJoin, threadCandidates } from './threading.js';

export interface IngestMailProps {
  db: Db;
  logger: Logger;
  supportAddress: string;
  attachmentMaxBytes: number;
}

export type IngestResult =
  | { outcome: 'ingested'; caseId: string; caseNumber: string; messageId: string; newCase: boolean }
  | { outcome: 'duplicate' | 'quarantined' | 'already-done' };

const japanese = /[\u3040-\u30ff\u3400-\u9fff]/;

/** One fetched mail becomes one stored message on a new or existing case. Safe to run twice for the same mail. */
export async function ingestRawMail(props: IngestMailProps, rawMailId: string): Promise<IngestResult> {
  const { db } = props;
  const raw = await db
    .selectFrom('raw_mails')
    .select(['id', 'mailbox_key', 'bytes', 'state'])
    .where('id', '=', rawMailId)
    .executeTakeFirst();
  if (raw?.state !== 'received') return { outcome: 'already-done' };

  let mail: NormalisedMail;
  try {
    mail = await normaliseMail(raw.bytes, props);
  } catch (err) {
    if (!(err instanceof UnparseableMailError)) throw err;
    await quarantineRawMail(db, raw.id, err.code, err.message);
    props.logger.warn({ rawMailId, code: err.code }, 'mail quarantined');
    return { outcome: 'quarantined' };
  }
  if (!mail.from) {
    await quarantineRawMail(db, raw.id, 'mail_no_sender', 'no usable From address');
    props.logger.warn({ rawMailId, code: 'mail_no_sender' }, 'mail quarantined');
    return { outcome: 'quarantined' };
  }
  const from = mail.from;

  const threadIds = threadCandidates(mail.inReplyTo, mail.references);
  const tagged = caseNumberFromSubject(mail.subject);
  try {
    return await db.transaction().execute(async (tx): Promise<IngestResult> => {
      // Everything the decision needs, in one round trip: an earlier copy of this mail, the sender's
      // customer, the case the headers point to (nearest first) and the case the subject tag names.
      const found = await sql<{
        dup: string | null;
        customer_id: string | null;
        customer_locale: string | null;
        thread_case_id: string | null;
        thread_case_number: string | null;
        tag_case_id: string | null;
        tag_case_number: string | null;
        tag_contact_id: string | null;
        tag_customer_id: string | null;
      }>`
        select
          (select id from messages where mailbox_key = ${raw.mailbox_key} and message_id = ${mail.messageId}) as dup,
          cu.id as customer_id, cu.locale as customer_locale,
          th.id as thread_case_id, th.number::text as thread_case_number,
          tg.id as tag_case_id, tg.number::text as tag_case_number,
          tg.contact_id as tag_contact_id, tg.customer_id as tag_customer_id
        from (select 1) as one
        left join lateral (
          select c.id, c.locale from customer_domains d join customers c on c.id = d.customer_id
          where d.domain = ${domainOf(from.address)}
        ) cu on true
        left join lateral (
          select c.id, c.number from messages m join cases c on c.id = m.case_id
          where m.message_id = any(${threadIds}::text[])
          order by array_position(${threadIds}::text[], m.message_id) limit 1
        ) th on true
        left join lateral (
          select id, number, contact_id, customer_id from cases where number = ${tagged ?? '0'}::bigint
        ) tg on ${tagged !== null}
      `
        .execute(tx)
        .then((r) => r.rows[0]!);
      if (found.dup) {
        await markRaw(tx, raw.id, 'duplicate');
        return { outcome: 'duplicate' };
      }

      const contact = await tx
        .insertInto('contacts')
        .values({ email: from.address, name: from.name, customer_id: found.customer_id })
        .onConflict((oc) =>
          oc.column('email').doUpdateSet({
            name: sql`coalesce(contacts.name, excluded.name)`,
            customer_id: sql`coalesce(contacts.customer_id, excluded.customer_id)`,
          }),
        )
        .returning(['id', 'customer_id'])
        .executeTakeFirstOrThrow();

      let existing: { id: string; number: string } | null = null;
      if (found.thread_case_id) {
        existing = { id: found.thread_case_id, number: found.thread_case_number! };
      } else if (
        found.tag_case_id &&
        subjectTagMayJoin(
          { contactId: contact.id, customerId: contact.customer_id },
          { contactId: found.tag_contact_id!, customerId: found.tag_customer_id },
        )
      ) {
        existing = { id: found.tag_case_id, number: found.tag_case_number! };
      }
      let caseId: string;
      let caseNumber: string;
      let newCase = false;
      if (existing) {
        caseId = existing.id;
        caseNumber = existing.number;
        // A customer writing again reopens a case that was done.
        await tx
          .updateTable('cases')
          .set({
            status: sql`case when status in ('resolved', 'closed') then 'open' else status end`,
            updated_at: sql`now()`,
          })
          .where('id', '=', caseId)
          .execute();
      } else {
        const created = await tx
          .insertInto('cases')
          .values({
            subject: mail.subject || '(no subject)',
            channel: 'email',
            verified: contact.customer_id !== null,
            customer_id: contact.customer_id,
            contact_id: contact.id,
            locale: found.customer_locale ?? (japanese.test(`${mail.subject} ${mail.text}`) ? 'ja' : 'en'),
            due_at: null,
          })
          .returning(['id', 'number'])
          .executeTakeFirstOrThrow();
        caseId = created.id;
        caseNumber = String(created.number);
        newCase = true;
      }

      // The raw mail is marked done by the same statement (a data-modifying WITH runs even unreferenced).
      const message = await tx
        .with('raw_done', (qb) =>
          qb
            .updateTable('raw_mails')
            .set({ state: 'ingested', processed_at: sql`now()` })
            .where('id', '=', raw.id),
        )
        .insertInto('messages')
        .values({
          case_id: caseId,
          direction: 'in',
          author: 'customer',
          channel: 'email',
          subject: mail.subject,
          text: mail.text,
          full_text: mail.fullText,
          html: mail.html,
          from_address: from.address,
          from_name: from.name,
          mailbox_key: raw.mailbox_key,
          message_id: mail.messageId,
          in_reply_to: mail.inReplyTo,
          references: mail.references,
          raw_mail_id: raw.id,
          client_id: null,
          auto_reply_blocker: mail.autoReplyBlocker,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (mail.attachments.length) {
        await tx
          .insertInto('attachments')
          .values(
            mail.attachments.map((a) => ({
              message_id: message.id,
              filename: a.filename,
              content_type: a.contentType,
              size: a.size,
              content: a.content,
              omitted_reason: a.omittedReason,
            })),
          )
          .execute();
      }
      return { outcome: 'ingested', caseId, caseNumber, messageId: message.id, newCase };
    });
  } catch (err) {
    // Two copies of one mail ingested at once: the unique (mailbox, Message-ID) index lets one win and
    // rolls the other back whole, case included.
    if (
      (err as { code?: string; constraint?: string }).code === '23505' &&
      (err as { constraint?: string }).constraint === 'messages_mailbox_message_id_key'
    ) {
      await markRaw(db, raw.id, 'duplicate');
      return { outcome: 'duplicate' };
    }
    throw err;
  }
}

async function markRaw(db: Db, id: string, state: 'ingested' | 'duplicate'): Promise<void> {
  await db.updateTable('raw_mails').set({ state, processed_at: sql`now()` }).where('id', '=', id).execute();
}
