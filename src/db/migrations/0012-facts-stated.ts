import { type Kysely, sql } from 'kysely';

// Which plan facts a reply stated, recorded when it was composed (comma-separated: type, hours,
// contactMethods, price), so the compliance trail does not depend on how the plan reads today. Null for
// sends composed before, and for sends that are not templated replies.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table outbox add column facts_stated text`.execute(db);
}
