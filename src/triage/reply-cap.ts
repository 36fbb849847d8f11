import { sql, type Transaction } from 'kysely';
import { prepared } from '../db/database.js';
import type { Database } from '../db/schema.js';

// The cap on automatic mail replies to all senders together per clock hour (UTC). The hour's row is
// counted up inside the transaction that writes the reply, so its row lock makes concurrent triage jobs
// take their turns only for the last statement and the commit, and the cap holds however many run at once.

export type ReplySlot = { taken: true } | { taken: false; firstHeld: boolean };

/** Takes one of the hour's `limit` reply slots, or tells that none is left (and whether this was the first). */
export async function takeReplySlot(tx: Transaction<Database>, limit: number): Promise<ReplySlot> {
  const taken = await sql<{ sent: number }>`${prepared('reply_slot_take')}
    insert into auto_reply_hours as h (hour, sent, held)
    select date_trunc('hour', now(), 'UTC'), 1, 0 where ${limit}::int >= 1
    on conflict (hour) do update set sent = h.sent + 1 where h.sent < ${limit}::int
    returning sent`.execute(tx);
  if (taken.rows.length > 0) return { taken: true };
  const held = await sql<{ held: number }>`${prepared('reply_slot_held')}
    update auto_reply_hours set held = held + 1 where hour = date_trunc('hour', now(), 'UTC')
    returning held`.execute(tx);
  return { taken: false, firstHeld: (held.rows[0]?.held ?? 1) === 1 };
}
