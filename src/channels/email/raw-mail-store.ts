import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { OmittedPart } from '../../db/schema.js';

export interface FetchedMail {
  uid: number;
  source: Buffer;
  /** When the server received it (IMAP INTERNALDATE). */
  internalDate?: Date;
  /** Set when `source` is only the headers and first text part of a mail larger than MAIL_MAX_BYTES. */
  cut?: { size: number; omittedParts: OmittedPart[] };
}

/** Mail that was in the mailbox before the intake first read it: up to this UID and older than `before`. */
export interface MailboxBacklog {
  upToUid: number;
  before: Date | null;
}

export interface MailboxCheckpoint {
  uidValidity: string;
  lastUid: number;
  backlog: MailboxBacklog;
  /** When mail was last stored from this mailbox. */
  updatedAt?: Date;
}

/** In the backlog range and old, or in the range with no usable arrival date: when in doubt, no belated ack. */
export function isBacklog(mail: FetchedMail, backlog: MailboxBacklog): boolean {
  if (mail.uid > backlog.upToUid || backlog.before === null) return false;
  const at = mail.internalDate?.getTime();
  return at === undefined || Number.isNaN(at) || at < backlog.before.getTime();
}

/** Stores fetched mails (idempotent on mailbox + UIDVALIDITY + UID) and returns their raw ids, new or not. */
export async function storeRawMails(
  db: Db,
  mailboxKey: string,
  uidValidity: string,
  mails: FetchedMail[],
  backlog: MailboxBacklog,
): Promise<Array<{ id: string; state: string }>> {
  if (!mails.length) return [];
  const values = mails.map((m) => ({
    mailbox_key: mailboxKey,
    uid_validity: uidValidity,
    uid: String(m.uid),
    bytes: m.source,
    size: m.cut?.size ?? m.source.length,
    backlog: isBacklog(m, backlog),
    cut: m.cut !== undefined,
    omitted_parts: JSON.stringify(m.cut?.omittedParts ?? []),
  }));
  await db
    .insertInto('raw_mails')
    .values(values)
    .onConflict((oc) => oc.columns(['mailbox_key', 'uid_validity', 'uid']).doNothing())
    .execute();
  return db
    .selectFrom('raw_mails')
    .select(['id', 'state'])
    .where('mailbox_key', '=', mailboxKey)
    .where('uid_validity', '=', uidValidity)
    .where(
      'uid',
      'in',
      mails.map((m) => String(m.uid)),
    )
    .orderBy('uid')
    .execute();
}

export async function readCheckpoint(db: Db, mailboxKey: string): Promise<MailboxCheckpoint | null> {
  const row = await db
    .selectFrom('mailbox_state')
    .selectAll()
    .where('mailbox_key', '=', mailboxKey)
    .executeTakeFirst();
  return row
    ? {
        uidValidity: String(row.uid_validity),
        lastUid: Number(row.last_uid),
        backlog: { upToUid: Number(row.backlog_up_to), before: row.backlog_before },
        updatedAt: row.updated_at,
      }
    : null;
}

export async function writeCheckpoint(db: Db, mailboxKey: string, cp: MailboxCheckpoint): Promise<void> {
  await db
    .insertInto('mailbox_state')
    .values({
      mailbox_key: mailboxKey,
      uid_validity: cp.uidValidity,
      last_uid: String(cp.lastUid),
      backlog_up_to: String(cp.backlog.upToUid),
      backlog_before: cp.backlog.before,
    })
    .onConflict((oc) =>
      oc.column('mailbox_key').doUpdateSet({
        uid_validity: cp.uidValidity,
        last_uid: String(cp.lastUid),
        backlog_up_to: String(cp.backlog.upToUid),
        backlog_before: cp.backlog.before,
        updated_at: sql`now()`,
      }),
    )
    .execute();
}
