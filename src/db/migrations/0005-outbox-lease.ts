import { type Kysely, sql } from 'kysely';

// A send is claimed with a lease: its owner and until when. A second claimer waits for the lease to end,
// so a job handed to another run (its lock lost) never sends a reply the first run is still sending.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table outbox add column lease_owner text, add column lease_until timestamptz,
    add column last_attempt_at timestamptz`.execute(db);
  // Admins page through failed sends, newest first.
  await sql`create index outbox_failed_idx on outbox (created_at desc, id desc) where status = 'failed'`.execute(
    db,
  );
}
