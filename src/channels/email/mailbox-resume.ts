import type { ImapFlow, MailboxObject } from 'imapflow';
import type { Db } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import { type MailboxBacklog, readCheckpoint, writeCheckpoint } from './raw-mail-store.js';

// Mail that reached the server this long before the intake first connected counts as backlog; newer mail is
// answered (it may have arrived while the product was being set up), whatever the clocks' skew.
const backlogMarginMs = 10 * 60_000;

export interface MailboxPosition {
  uidValidity: string;
  lastUid: number;
  backlog: MailboxBacklog;
}

/** The highest UID in the open mailbox (0 when empty), for servers that do not announce UIDNEXT. */
async function highestUid(client: ImapFlow): Promise<number> {
  const last = await client.fetchOne('*', { uid: true });
  return last ? last.uid : 0;
}

/**
 * Where to go on in the mailbox just opened: the stored checkpoint when the server's numbering is the same,
 * else from the start with a new backlog line, recorded before the first fetch.
 */
export async function resumeMailbox(
  db: Db,
  mailboxKey: string,
  client: ImapFlow,
  box: MailboxObject,
  log: Logger,
): Promise<MailboxPosition> {
  const uidValidity = String(box.uidValidity);
  const cp = await readCheckpoint(db, mailboxKey);
  if (cp && cp.uidValidity === uidValidity) return { uidValidity, lastUid: cp.lastUid, backlog: cp.backlog };
  // First sight of this mailbox, or the server renumbered it: read it all (Message-ID dedupe keeps old
  // mail from coming twice), but what was already there, and is not brand new, is backlog: taken as
  // cases, never auto-answered. Recorded before the first fetch, so a restart keeps the same line.
  if (cp) log.warn({ was: cp.uidValidity, now: uidValidity }, 'UIDVALIDITY changed, re-reading mailbox');
  // After a renumbering, mail that came after the last mail stored is not backlog: it may be new.
  const since = cp?.updatedAt ? new Date(cp.updatedAt).getTime() : Date.now();
  const backlog = {
    upToUid: box.uidNext ? Number(box.uidNext) - 1 : box.exists ? await highestUid(client) : 0,
    before: new Date(Math.min(since, Date.now()) - backlogMarginMs),
  };
  await writeCheckpoint(db, mailboxKey, { uidValidity, lastUid: 0, backlog });
  return { uidValidity, lastUid: 0, backlog };
}
