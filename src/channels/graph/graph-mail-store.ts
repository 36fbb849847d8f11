import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { OmittedPart } from '../../db/schema.js';

// The raw mails of a Graph mailbox, idempotent on the mailbox and Graph's message id, and where its delta
// sync stands: the link to read next, written only once the mails before it are stored and queued.

export interface GraphMail {
  /** Graph's (immutable) message id. */
  remoteId: string;
  source: Buffer;
  /** Was in the mailbox before the intake first read it: taken as a case, never auto-answered. */
  backlog: boolean;
  /** Set when `source` is only the headers and text of a mail larger than MAIL_MAX_BYTES. */
  cut?: { size: number; omittedParts: OmittedPart[] };
}

export interface StoredRawMail {
  id: string;
  remoteId: string;
  state: string;
}

/** The mails of these ids already stored (a page read again after a restart or a resync). */
export async function storedGraphMails(
  db: Db,
  mailboxKey: string,
  remoteIds: readonly string[],
): Promise<StoredRawMail[]> {
  if (!remoteIds.length) return [];
  const rows = await db
    .selectFrom('raw_mails')
    .select(['id', 'remote_id', 'state'])
    .where('mailbox_key', '=', mailboxKey)
    .where('remote_id', 'in', [...remoteIds])
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, remoteId: r.remote_id ?? '', state: r.state }));
}

/** Stores mails (a second store of the same id does nothing) and returns what is stored for them. */
export async function storeGraphMails(
  db: Db,
  mailboxKey: string,
  mails: GraphMail[],
): Promise<StoredRawMail[]> {
  if (!mails.length) return [];
  await db
    .insertInto('raw_mails')
    .values(
      mails.map((m) => ({
        mailbox_key: mailboxKey,
        uid_validity: null,
        uid: null,
        remote_id: m.remoteId,
        bytes: m.source,
        size: m.cut?.size ?? m.source.length,
        backlog: m.backlog,
        cut: m.cut !== undefined,
        omitted_parts: JSON.stringify(m.cut?.omittedParts ?? []),
      })),
    )
    .onConflict((oc) =>
      oc.columns(['mailbox_key', 'remote_id']).where('remote_id', 'is not', null).doNothing(),
    )
    .execute();
  return storedGraphMails(
    db,
    mailboxKey,
    mails.map((m) => m.remoteId),
  );
}

export interface GraphSyncState {
  /** The next page of a sync under way, or the delta link of the last finished one; null: from the start. */
  link: string | null;
  /** A first sync (or a resync after a lost delta link) is under way. */
  initial: boolean;
  backlogBefore: Date | null;
  updatedAt: Date;
}

export async function readSyncState(db: Db, mailboxKey: string): Promise<GraphSyncState | null> {
  const row = await db
    .selectFrom('graph_sync_state')
    .selectAll()
    .where('mailbox_key', '=', mailboxKey)
    .executeTakeFirst();
  return row
    ? { link: row.link, initial: row.initial, backlogBefore: row.backlog_before, updatedAt: row.updated_at }
    : null;
}

export async function writeSyncState(
  db: Db,
  mailboxKey: string,
  s: Omit<GraphSyncState, 'updatedAt'>,
): Promise<void> {
  const values = { link: s.link, initial: s.initial, backlog_before: s.backlogBefore };
  await db
    .insertInto('graph_sync_state')
    .values({ mailbox_key: mailboxKey, ...values })
    .onConflict((oc) => oc.column('mailbox_key').doUpdateSet({ ...values, updated_at: sql`now()` }))
    .execute();
}
