import { type Kysely, sql } from 'kysely';

// A Microsoft 365 mailbox read through Graph: its mails have no IMAP UID but Graph's own message id, and its
// place in the inbox is the delta link Graph hands out, stored so that a restart resumes where it stopped.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table raw_mails
    alter column uid_validity drop not null,
    alter column uid drop not null,
    add column remote_id text,
    add constraint raw_mails_origin_check check (uid is not null or remote_id is not null) not valid`.execute(
    db,
  );
  // Checked for the rows already there without holding the table's lock the while.
  await sql`alter table raw_mails validate constraint raw_mails_origin_check`.execute(db);
  await sql`create unique index raw_mails_remote_id_key on raw_mails (mailbox_key, remote_id)
    where remote_id is not null`.execute(db);
  await sql`create table graph_sync_state (
    mailbox_key text primary key,
    link text,
    initial boolean not null default true,
    backlog_before timestamptz,
    updated_at timestamptz not null default now())`.execute(db);
}
