import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

export interface FetchedMail {
  uid: number;
  source: Buffer;
}

export interface MailboxCheckpoint {
  uidValidity: string;
  lastUid: number;
}

/** Stores fetched mails (idempotent on mailbox + UIDVALIDITY + UID) and returns their raw ids, new or not. */
export async function storeRawMails(
  db: Db,
  mailboxKey: string,
  uidValidity: string,
  mails: FetchedMail[],
): Promise<Array<{ id: string; state: string }>> {
  if (!mails.length) return [];
  const values = mails.map((m) => ({
    mailbox_key: mailboxKey,
    uid_validity: uidValidity,
    uid: String(m.uid),
    bytes: m.source,
    size: m.source.length,
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
  return row ? { uidValidity: String(row.uid_validity), lastUid: Number(row.last_uid) } : null;
}

export async function writeCheckpoint(db: Db, mailboxKey: string, cp: MailboxCheckpoint): Promise<void> {
  await db
    .insertInto('mailbox_state')
    .values({ mailbox_key: mailboxKey, uid_validity: cp.uidValidity, last_uid: String(cp.lastUid) })
    .onConflict((oc) =>
      oc.column('mailbox_key').doUpdateSet({
        uid_validity: cp.uidValidity,
        last_uid: String(cp.lastUid),
        updated_at: sql`now()`,
      }),
    )
    .execute();
}
