import { type Kysely, sql } from 'kysely';

// A mail larger than MAIL_MAX_BYTES is stored cut: its headers and first text part only, with its real size in
// `size`, `cut` set, and the parts left in the mailbox listed by name, type and size.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table raw_mails add column cut boolean not null default false,
    add column omitted_parts jsonb not null default '[]'::jsonb`.execute(db);
}
