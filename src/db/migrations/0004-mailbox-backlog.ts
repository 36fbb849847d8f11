import { type Kysely, sql } from 'kysely';

// Mail that was already in a mailbox when the intake first read it: taken as cases, never auto-answered.

export async function up(db: Kysely<unknown>): Promise<void> {
  // The highest UID of the backlog, and the moment before which a mail counts as old (the first connection
  // minus a margin for clock skew between this host and the mail server).
  await sql`alter table mailbox_state add column backlog_up_to bigint not null default 0,
    add column backlog_before timestamptz`.execute(db);
  await sql`alter table raw_mails add column backlog boolean not null default false`.execute(db);
}
