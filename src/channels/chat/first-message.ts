import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { insertCaseSql, upsertContactSql } from '../../cases/case-store.js';
import { caseLocale } from '../../cases/inbound-message.js';
import { insertMessageSql, ref } from '../../cases/message-store.js';
import { domainOf } from '../../cases/threading.js';
import { type Db, prepared } from '../../db/database.js';
import type { Locale } from '../../vocabulary.js';
import {
  type ChatSession,
  chatSubject,
  persistSession,
  type StoredChatMessage,
  storeChatMessage,
  visitorLine,
} from './chat-store.js';

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
  const fallbackLocale = caseLocale(null, text, session.locale);
  // The case's id is chosen here so the session row can name it in the same statement.
  const caseId = randomUUID();
  const row = (
    await sql<{ contact_id: string; case_id: string; number: string; message_id: string }>`${prepared(
      'chat_first_message',
    )}
      with dom as (
        select customer_id from customer_domains where domain = ${domainOf(email)} and ${session.verified}::boolean
      ), ct as (
        ${upsertContactSql({ email, name: session.name, customer_id: sql`(select customer_id from dom)` })}
      ), s as (
        insert into chat_sessions (id, contact_id, case_id, verified, email, name, locale, connections)
        select ${session.id}::uuid, ct.id, ${caseId}::uuid, ${session.verified}::boolean, ${session.email},
          ${session.name}, ${session.locale}, 1
        from ct
        on conflict (id) do nothing
        returning id
      ), kase as (
        ${insertCaseSql(
          {
            id: caseId,
            subject: chatSubject(text),
            channel: 'chat',
            verified: sql<boolean>`${session.verified}::boolean and ct.customer_id is not null`,
            customer_id: session.verified ? ref<string | null>('ct.customer_id') : null,
            contact_id: ref<string>('ct.id'),
            locale: sql<Locale>`coalesce((select locale from customers where id = ct.customer_id),
              ${fallbackLocale})`,
          },
          sql`ct, s`,
        )}
      ), msg as (
        ${insertMessageSql(visitorLine(ref<string>('kase.id'), text, clientId), { from: sql`kase` })}
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
