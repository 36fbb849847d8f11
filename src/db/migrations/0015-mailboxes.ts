import { type Kysely, sql } from 'kysely';

// Mailboxes added by admins beside the one of the environment: each read by its own intake and answered
// through its own relay (or Graph). Passwords are kept sealed with SECRET_KEY, never in the URLs stored.
// A mail delivered to two of them (Cc to both) is one message: Message-IDs are unique across mailboxes.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table mailboxes (
    id uuid primary key default gen_random_uuid(),
    name text not null unique,
    address text not null unique,
    kind text not null check (kind in ('imap', 'graph')),
    imap_url text,
    smtp_url text,
    sealed_secrets text,
    locale text check (locale in ('ja', 'en')),
    enabled boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now())`.execute(db);
  // Which mailbox a reply goes out through; null: the environment's (IMAP_URL/SMTP_URL or GRAPH_MAILBOX).
  await sql`alter table outbox add column mailbox_key text`.execute(db);
  await sql`create unique index messages_message_id_key on messages (message_id)
    where mailbox_key is not null and message_id is not null`.execute(db);
  await sql`drop index messages_mailbox_message_id_key`.execute(db);
}
