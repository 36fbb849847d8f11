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

  return db.transaction().execute(async (tx): Promise<IngestResult> => {
    // Two copies of one Message-ID may be ingested at once; serialise them on the key.
    await sql`select pg_advisory_xact_lock(hashtextextended(${`${raw.mailbox_key}\n${mail.messageId}`}, 0))`.execute(
      tx,
    );
    const dup = await tx
      .selectFrom('messages')
      .select('id')
      .where('mailbox_key', '=', raw.mailbox_key)
      .where('message_id', '=', mail.messageId)
      .executeTakeFirst();
    if (dup) {
      await tx
        .updateTable('raw_mails')
        .set({ state: 'duplicate', processed_at: sql`now()` })
        .where('id', '=', raw.id)
        .execute();
      return { outcome: 'duplicate' };
    }

    const domainCustomer = await tx
      .selectFrom('customer_domains')
      .innerJoin('customers', 'customers.id', 'customer_domains.customer_id')
      .select(['customers.id', 'customers.locale'])
      .where('customer_domains.domain', '=', domainOf(from.address))
      .executeTakeFirst();
    const contact = await tx
      .insertInto('contacts')
      .values({ email: from.address, name: from.name, customer_id: domainCustomer?.id ?? null })
      .onConflict((oc) =>
        oc.column('email').doUpdateSet({
          name: sql`coalesce(contacts.name, excluded.name)`,
          customer_id: sql`coalesce(contacts.customer_id, excluded.customer_id)`,
        }),
      )
      .returning(['id', 'customer_id'])
      .executeTakeFirstOrThrow();

    const existing = await findCase(tx, mail, { contactId: contact.id, customerId: contact.customer_id });
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
      const customerLocale = domainCustomer?.locale;
      const created = await tx
        .insertInto('cases')
        .values({
          subject: mail.subject || '(no subject)',
          channel: 'email',
          verified: contact.customer_id !== null,
          customer_id: contact.customer_id,
          contact_id: contact.id,
          locale: customerLocale ?? (japanese.test(`${mail.subject} ${mail.text}`) ? 'ja' : 'en'),
          due_at: null,
        })
        .returning(['id', 'number'])
        .executeTakeFirstOrThrow();
      caseId = created.id;
      caseNumber = String(created.number);
      newCase = true;
    }

    const message = await tx
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
    await tx
      .updateTable('raw_mails')
      .set({ state: 'ingested', processed_at: sql`now()` })
      .where('id', '=', raw.id)
      .execute();
    return { outcome: 'ingested', caseId, caseNumber, messageId: message.id, newCase };
  });
}

async function findCase(
  tx: Db,
  mail: NormalisedMail,
  sender: { contactId: string; customerId: string | null },
): Promise<{ id: string; number: string } | null> {
  const ids = threadCandidates(mail.inReplyTo, mail.references);
  if (ids.length) {
    const hit = await tx
      .selectFrom('messages')
      .innerJoin('cases', 'cases.id', 'messages.case_id')
      .select(['cases.id', 'cases.number', 'messages.message_id'])
      .where('messages.message_id', 'in', ids)
      .execute();
    for (const id of ids) {
      const row = hit.find((h) => h.message_id === id);
      if (row) return { id: row.id, number: String(row.number) };
    }
  }
  const tagged = caseNumberFromSubject(mail.subject);
  if (tagged) {
    const row = await tx
      .selectFrom('cases')
      .select(['id', 'number', 'contact_id', 'customer_id'])
      .where('number', '=', tagged as never)
      .executeTakeFirst();
    if (row && subjectTagMayJoin(sender, { contactId: row.contact_id, customerId: row.customer_id })) {
      return { id: row.id, number: String(row.number) };
    }
  }
  return null;
}
