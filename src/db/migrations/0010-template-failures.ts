import { type Kysely, sql } from 'kysely';

// A template version that failed to render when a reply was due: the alert the admin sees on the template
// until a newer version is saved.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table template_failures (
    key text not null,
    locale text not null,
    version integer not null,
    error text not null,
    count integer not null default 1,
    first_at timestamptz not null default now(),
    last_at timestamptz not null default now(),
    primary key (key, locale, version)
  )`.execute(db);
}
