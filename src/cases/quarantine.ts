import { sql } from 'kysely';
import type { Db } from '../db/database.js';

/**
 * Keeps a raw mail that cannot be processed, with the reason; the bytes stay in raw_mails. A mail that was
 * ingested meanwhile (its job failed after the case was written) is left alone. True when quarantined.
 */
export async function quarantineRawMail(
  db: Db,
  rawMailId: string,
  code: string,
  reason: string,
): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const marked = await tx
      .updateTable('raw_mails')
      .set({ state: 'quarantined', processed_at: sql`now()` })
      .where('id', '=', rawMailId)
      .where('state', '=', 'received')
      .executeTakeFirst();
    if (!marked.numUpdatedRows) return false;
    await tx
      .insertInto('quarantine')
      .values({ raw_mail_id: rawMailId, source: 'email', code, reason: reason.slice(0, 2000) })
      .onConflict((oc) => oc.column('raw_mail_id').doNothing())
      .execute();
    return true;
  });
}
