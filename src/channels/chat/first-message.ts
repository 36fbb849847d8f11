import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { domainOf } from '../../cases/threading.js';
import { type Db, prepared } from '../../db/database.js';
import { type ChatSession, persistSession, type StoredChatMessage, storeChatMessage } from './chat-store.js';

const japanese = /[\u3040-\u30ff\u3400-\u9fff]/;

/**
 * The first message of a visitor whose session is not stored yet: the contact, the session, its case and the
 * message in one statement (as costly as a first message on a stored session). Null when another tab of the
 * same session stored it meanwhile; the caller then takes the ordinary path.
 */
export async function storeFirstMessage(
  db: Db,
  session: ChatSession,
  text: string,
  clientId: string,
): Promise<(StoredChatMessage & { contactId: string }) | null> {
  const email = session.verified && session.email ? session.email : `visitor-${session.id}@chat.invalid`;
  const subject = text.replace(/\s+/g, ' ').trim().slice(0, 80) || '(chat)';
  const fallbackLocale = japanese.test(text) ? 'ja' : session.locale;
  // The case's id is chosen here so the session row can name it in the same statement.
  const caseId = randomUUID();
  const row = (
    await sql<{ contact_id: string; case_id: string; number: string; message_id: string }>`${prepared(
      'chat_first_message',
    )}
      with dom as (
        select customer_id from customer_domains where domain = ${domainOf(email)} and ${session.verified}::boolean
      ), ct as (
        insert into contacts (email, name, customer_id)
        values (${email}, ${session.name}, (select customer_id from dom))
        on conflict (email) do update set name = coalesce(contacts.name, excluded.name),
          customer_id = coalesce(contacts.customer_id, excluded.customer_id)
        returning id, customer_id
      ), s as (
        insert into chat_sessions (id, contact_id, case_id, verified, email, name, locale, connections)
        select ${session.id}::uuid, ct.id, ${caseId}::uuid, ${session.verified}::boolean, ${session.email},
          ${session.name}, ${session.locale}, 1
        from ct
        on conflict (id) do nothing
        returning id
      ), kase as (
        insert into cases (id, subject, channel, verified, customer_id, contact_id, locale, due_at)
        select ${caseId}::uuid, ${subject}, 'chat', ${session.verified}::boolean and ct.customer_id is not null,
          case when ${session.verified}::boolean then ct.customer_id end, ct.id,
          coalesce((select locale from customers where id = ct.customer_id), ${fallbackLocale}), null
        from ct, s
        returning id, number
      ), msg as (
        insert into messages (case_id, direction, author, channel, subject, text, full_text, html, from_address,
          from_name, mailbox_key, message_id, in_reply_to, "references", raw_mail_id, client_id, auto_reply_blocker)
        select kase.id, 'in', 'customer', 'chat', null, ${text}, ${text}, null, null, null, null, null, null,
          '{}', null, ${clientId}, null
        from kase
        returning id
      )
      select ct.id as contact_id, kase.id as case_id, kase.number::text as number, msg.id as message_id
      from ct, kase, msg`.execute(db)
  ).rows[0];
  if (!row) return null;
  return {
    id: row.message_id,
    caseId: row.case_id,
    caseNumber: row.number,
    duplicate: false,
    contactId: row.contact_id,
  };
}

/**
 * Stores a visitor's message. The first one of a session not stored yet stores the session with it; `counted`
 * says that the session now counts the calling tab as connected.
 */
export async function storeVisitorMessage(
  db: Db,
  session: ChatSession,
  text: string,
  clientId: string,
): Promise<{ stored: StoredChatMessage; counted: boolean }> {
  if (session.persisted) {
    return {
      stored: await storeChatMessage(db, session.id, text, clientId, session.caseId !== null),
      counted: false,
    };
  }
  const first = await storeFirstMessage(db, session, text, clientId);
  session.persisted = true;
  if (first) {
    session.contactId = first.contactId;
    return { stored: first, counted: true };
  }
  // Another tab stored the session first: join it (counting this tab too), then store as usual.
  const joined = await persistSession(db, session);
  session.contactId = joined.contactId;
  const mayHaveCase = joined.caseId !== null;
  return { stored: await storeChatMessage(db, session.id, text, clientId, mayHaveCase), counted: true };
}
