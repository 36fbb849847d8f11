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
  // A mailbox whose key changed (another server, folder or user) was read again from the start, and the same
  // Message-ID may be stored once under each key: the later copies are kept under a key of their own
  // (`<id>#copy-<row>`), so that the index below can be built and nothing stored is lost.
  await sql`update messages m set message_id = m.message_id || '#copy-' || m.id::text
    from (select id, row_number() over (partition by message_id order by created_at, id) as n
          from messages where mailbox_key is not null and message_id is not null) d
    where d.id = m.id and d.n > 1`.execute(db);
  await sql`create unique index messages_message_id_key on messages (message_id)
    where mailbox_key is not null and message_id is not null`.execute(db);
  await sql`drop index messages_mailbox_message_id_key`.execute(db);
}
