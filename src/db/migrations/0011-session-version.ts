import { type Kysely, sql } from 'kysely';

// Signing out (or changing the password) ends every session of the agent: a session names the version it was
// made under, and a newer one makes it void.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table agents add column session_version integer not null default 0`.execute(db);
}
