import { sql, type Transaction } from 'kysely';
import { prepared } from '../db/database.js';
import type { Database } from '../db/schema.js';

// The cap on automatic mail replies to all senders together per clock hour (UTC). The hour's row is
// counted up inside the transaction that writes the replies, so its row lock makes concurrent triage jobs
// take their turns only for the last statement and the commit, and the cap holds however many run at once.

/** How many of the wanted slots were granted, and whether these are the hour's first held replies. */
export interface ReplySlots {
  granted: number;
  firstHeld: boolean;
}

/** Takes up to `wanted` of the hour's `limit` reply slots in one statement (two in the hour's first call). */
export async function takeReplySlots(
  tx: Transaction<Database>,
  wanted: number,
  limit: number,
): Promise<ReplySlots> {
  if (wanted < 1) return { granted: 0, firstHeld: false };
  for (;;) {
    // The subquery locks the hour's row first, so the count it reads is the latest committed one.
    const taken = await sql<{ granted: number; held_before: number }>`${prepared('reply_slots_take')}
      update auto_reply_hours h set sent = h.sent + g.granted, held = h.held + (${wanted}::int - g.granted)
      from (
        select hour, held as held_before,
          greatest(0, least(${wanted}::int, ${limit}::int - sent)) as granted
        from auto_reply_hours where hour = date_trunc('hour', now(), 'UTC') for update
      ) g
      where h.hour = g.hour
      returning g.granted, g.held_before`.execute(tx);
    const row = taken.rows[0];
    if (row) return { granted: row.granted, firstHeld: row.held_before === 0 && row.granted < wanted };
    await sql`${prepared('reply_slots_hour')}
      insert into auto_reply_hours (hour, sent, held) values (date_trunc('hour', now(), 'UTC'), 0, 0)
      on conflict (hour) do nothing`.execute(tx);
  }
}
