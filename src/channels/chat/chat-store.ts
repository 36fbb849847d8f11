import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { insertCaseSql, reopenCase, upsertContactSql } from '../../cases/case-store.js';
import { caseLocale } from '../../cases/inbound-message.js';
import {
  type Cell,
  insertMessage,
  insertMessageSql,
  type NewMessage,
  ref,
} from '../../cases/message-store.js';
import { domainOf } from '../../cases/threading.js';
import { type Db, prepared } from '../../db/database.js';
import type { Locale } from '../../vocabulary.js';
import { identityVerified } from './identity.js';

// Chat visitors, their sessions and messages in Postgres. A verified visitor is the customer's contact (the
// same row their mail uses); an unverified one gets a contact of their own, so a claimed address never
// opens anybody's history.

export interface ChatAuth {
  email?: string;
  name?: string;
  identityHash?: string;
  locale?: Locale;
}

export interface ChatSession {
  id: string;
  /** Empty until the session is stored (at the visitor's first message). */
  contactId: string;
  caseId: string | null;
  caseNumber: string | null;
  verified: boolean;
  email: string | null;
  name: string | null;
  locale: Locale;
  /** False for a visitor who has not written yet: such a session costs no row. */
  persisted: boolean;
}

export interface ChatLine {
  id: string;
  author: 'customer' | 'agent' | 'system';
  text: string;
  at: string;
}

async function loadSession(db: Db, id: string): Promise<ChatSession | null> {
  const row = await db
    .selectFrom('chat_sessions as s')
    .leftJoin('cases as c', 'c.id', 's.case_id')
    .select(['s.id', 's.contact_id', 's.case_id', 's.verified', 's.email', 's.name', 's.locale', 'c.number'])
    .where('s.id', '=', id)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    contactId: row.contact_id,
    caseId: row.case_id,
    caseNumber: row.number === null ? null : String(row.number),
    verified: row.verified,
    email: row.email,
    name: row.name,
    locale: row.locale === 'en' ? 'en' : 'ja',
    persisted: true,
  };
}

export async function resumeSession(db: Db, sessionId: string): Promise<ChatSession | null> {
  return loadSession(db, sessionId);
}

/**
 * A new session, verified when the portal's identity hash matches the email. Nothing is stored yet: an idle
 * visitor (a page left open, a crawler) costs no row; `persistSession` stores it at the first message. A
 * token issued before then names this id, so a reload keeps the same session.
 */
export function pendingSession(
  auth: ChatAuth,
  identitySecret: string,
  id: string = randomUUID(),
): ChatSession {
  const email = auth.email?.trim().toLowerCase() || null;
  const verified = Boolean(
    email && auth.identityHash && identityVerified(email, auth.identityHash, identitySecret),
  );
  return {
    id,
    contactId: '',
    caseId: null,
    caseNumber: null,
    verified,
    email,
    name: auth.name?.trim() || null,
    locale: auth.locale ?? 'ja',
    persisted: false,
  };
}

/**
 * Stores a pending session and its contact, counted as connected through the calling tab (idempotent: two
 * tabs writing their first message at once store one session, counted twice). A verified visitor is the
 * customer's contact; an unverified one gets a contact of its own.
 */
export async function persistSession(db: Db, session: ChatSession): Promise<ChatSession> {
  const email = session.verified && session.email ? session.email : `visitor-${session.id}@chat.invalid`;
  const row = (
    await sql<{ contact_id: string; case_id: string | null; number: string | null }>`
      with dom as (
        select customer_id from customer_domains where domain = ${domainOf(email)} and ${session.verified}
      ), ct as (
        ${upsertContactSql({ email, name: session.name, customer_id: sql`(select customer_id from dom)` })}
      ), s as (
        insert into chat_sessions (id, contact_id, verified, email, name, locale, connections)
        select ${session.id}::uuid, ct.id, ${session.verified}, ${session.email}, ${session.name}, ${session.locale}, 1
        from ct
        on conflict (id) do update set connections = chat_sessions.connections + 1, last_seen_at = now()
        returning contact_id, case_id
      )
      select s.contact_id, s.case_id, (select number::text from cases where id = s.case_id) as number
      from s`.execute(db)
  ).rows[0];
  // A session another tab stored meanwhile is that one (its contact and case), now counting this tab too;
  // ON CONFLICT sees its row even when it was committed after this statement began.
  return {
    ...session,
    contactId: row?.contact_id ?? session.contactId,
    caseId: row?.case_id ?? null,
    caseNumber: row?.number ?? null,
    persisted: true,
  };
}

/** Removes sessions unused for `idleDays` and the stranger contacts only they referred to. Returns how many. */
export async function expireChatSessions(db: Db, idleDays: number): Promise<number> {
  const r = await sql<{ n: string }>`
    with gone as (
      delete from chat_sessions where last_seen_at < now() - make_interval(days => ${idleDays})
      returning contact_id
    ), strangers as (
      delete from contacts ct using gone
      where ct.id = gone.contact_id and ct.email like 'visitor-%@chat.invalid'
        and not exists (select 1 from cases where contact_id = ct.id)
    )
    select count(*)::text as n from gone`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

export async function history(db: Db, caseId: string | null, limit = 200): Promise<ChatLine[]> {
  if (!caseId) return [];
  const rows = await db
    .selectFrom('messages')
    .select(['id', 'direction', 'author', 'text', 'created_at'])
    .where('case_id', '=', caseId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse().map((m) => ({
    id: m.id,
    author: m.direction === 'in' ? 'customer' : m.author === 'agent' ? 'agent' : 'system',
    text: m.text,
    at: new Date(m.created_at).toISOString(),
  }));
}

export interface StoredChatMessage {
  id: string;
  caseId: string;
  caseNumber: string;
  duplicate: boolean;
}

/** A visitor's line as a message on a case (the case given as an id or as a column of the statement). */
export function visitorLine(caseId: Cell<string>, text: string, clientId: string): NewMessage {
  return {
    case_id: caseId,
    direction: 'in',
    author: 'customer',
    channel: 'chat',
    text,
    full_text: text,
    client_id: clientId,
  };
}

/** A new chat case's subject: the first words of the first line. */
export function chatSubject(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 80) || '(chat)';
}

/** Stores one visitor message (opening the session's case on the first), idempotent on clientId. */
export async function storeChatMessage(
  db: Db,
  sessionId: string,
  text: string,
  clientId: string,
  /** What the caller knows: false when the session has no case yet (skips the one-statement attempt). */
  mayHaveCase = true,
): Promise<StoredChatMessage> {
  // The usual case, a message on the session's open case, is one statement; the first message of a
  // conversation (or one after the case was closed or resolved) takes the transaction below.
  const quick = mayHaveCase ? await storeOnOpenCase(db, sessionId, text, clientId) : null;
  if (quick) return quick;
  return db.transaction().execute((tx) => storeUnderLock(tx, sessionId, text, clientId));
}

/** The message on the session's case if that is open, in one statement; null when there is no such case. */
async function storeOnOpenCase(
  db: Db,
  sessionId: string,
  text: string,
  clientId: string,
): Promise<StoredChatMessage | null> {
  const row = (
    await sql<{ id: string | null; case_id: string; case_number: string }>`${prepared('chat_message')}
      with s as (
        select c.id as case_id, c.number from chat_sessions s join cases c on c.id = s.case_id
        where s.id = ${sessionId}::uuid and c.status not in ('closed', 'resolved')
      ), ins as (
        ${insertMessageSql(visitorLine(ref<string>('s.case_id'), text, clientId), {
          from: sql`s`,
          skipDuplicateClientId: true,
        })}
        returning id
      )
      select coalesce((select id from ins),
          (select m.id from messages m, s where m.case_id = s.case_id and m.client_id = ${clientId})) as id,
        s.case_id, s.number::text as case_number
      from s`.execute(db)
  ).rows[0];
  if (!row?.id) return null;
  return { id: row.id, caseId: row.case_id, caseNumber: row.case_number, duplicate: false };
}

interface LockedSession {
  case_id: string | null;
  verified: boolean;
  locale: string;
  contact_id: string;
  customer_id: string | null;
  customer_locale: string | null;
  number: string | null;
  status: string | null;
}

/** The session row locked, with its contact and case. */
async function lockSession(tx: Db, sessionId: string): Promise<LockedSession> {
  const s = await tx
    .selectFrom('chat_sessions as s')
    .innerJoin('contacts as ct', 'ct.id', 's.contact_id')
    .leftJoin('cases as c', 'c.id', 's.case_id')
    .leftJoin('customers as cu', 'cu.id', 'ct.customer_id')
    .select([
      's.case_id',
      's.verified',
      's.locale',
      'ct.id as contact_id',
      'ct.customer_id',
      'cu.locale as customer_locale',
      'c.number',
      'c.status',
    ])
    .where('s.id', '=', sessionId)
    .forUpdate('s')
    .executeTakeFirstOrThrow();
  // Another tab of this session may have opened its case while this statement waited for the lock: the
  // session row is then read anew, but the case beside it was not visible when the statement began.
  if (s.case_id && s.number === null) {
    const opened = await tx
      .selectFrom('cases')
      .select(['number', 'status'])
      .where('id', '=', s.case_id)
      .executeTakeFirstOrThrow();
    return { ...s, number: opened.number, status: opened.status };
  }
  return s;
}

async function storeUnderLock(
  tx: Db,
  sessionId: string,
  text: string,
  clientId: string,
): Promise<StoredChatMessage> {
  const s = await lockSession(tx, sessionId);
  const caseId = s.case_id;
  if (!caseId || s.status === 'closed') {
    return (await earlierLine(tx, s.contact_id, clientId)) ?? openCase(tx, sessionId, s, text, clientId);
  }
  // The visitor writing again reopens a case marked resolved or waiting on them.
  if (s.status === 'resolved' || s.status === 'pending') await reopenCase(tx, caseId);
  const caseNumber = String(s.number);
  const inserted = await insertMessage(tx, visitorLine(caseId, text, clientId), {
    skipDuplicateClientId: true,
  });
  if (inserted) return { id: inserted.id, caseId, caseNumber, duplicate: false };
  const existing = await tx
    .selectFrom('messages')
    .select('id')
    .where('case_id', '=', caseId)
    .where('client_id', '=', clientId)
    .executeTakeFirstOrThrow();
  return { id: existing.id, caseId, caseNumber, duplicate: true };
}

/** A retry of a message stored on an earlier case (its ack lost, the case closed since) is that message. */
async function earlierLine(tx: Db, contactId: string, clientId: string): Promise<StoredChatMessage | null> {
  const earlier = await tx
    .selectFrom('messages as m')
    .innerJoin('cases as c', 'c.id', 'm.case_id')
    .select(['m.id', 'c.id as case_id', 'c.number'])
    .where('m.client_id', '=', clientId)
    .where('c.contact_id', '=', contactId)
    .executeTakeFirst();
  if (!earlier) return null;
  return { id: earlier.id, caseId: earlier.case_id, caseNumber: String(earlier.number), duplicate: true };
}

/** The case, the session's link to it and the message, in one statement. */
async function openCase(
  tx: Db,
  sessionId: string,
  s: LockedSession,
  text: string,
  clientId: string,
): Promise<StoredChatMessage> {
  const created = (
    await sql<{ case_id: string; number: string; message_id: string }>`${prepared('chat_open_case')}
      with kase as (
        ${insertCaseSql({
          subject: chatSubject(text),
          channel: 'chat',
          verified: s.verified && s.customer_id !== null,
          customer_id: s.verified ? s.customer_id : null,
          contact_id: s.contact_id,
          locale: caseLocale(s.customer_locale, text, s.locale === 'en' ? 'en' : 'ja'),
        })}
      ), linked as (
        update chat_sessions set case_id = (select id from kase) where id = ${sessionId}::uuid
      ), msg as (
        ${insertMessageSql(visitorLine(ref<string>('kase.id'), text, clientId), { from: sql`kase` })}
        returning id
      )
      select kase.id as case_id, kase.number::text as number, msg.id as message_id from kase, msg`.execute(tx)
  ).rows[0]!;
  return { id: created.message_id, caseId: created.case_id, caseNumber: created.number, duplicate: false };
}

export async function markPresence(db: Db, sessionId: string, delta: 1 | -1 | 0): Promise<void> {
  await db
    .updateTable('chat_sessions')
    .set({
      connections: sql`greatest(0, connections + ${delta})`,
      last_seen_at: sql`now()`,
    })
    .where('id', '=', sessionId)
    .execute();
}
