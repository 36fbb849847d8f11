import { type Kysely, sql } from 'kysely';

// The partner's agents: who is told of cases and may answer them by mail, and (role admin) who signs in to the
// web admin. An agent's number names them in reply tokens, which must stay short.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table agents (
    id uuid primary key default gen_random_uuid(),
    number bigint generated always as identity unique,
    email text not null,
    name text not null,
    role text not null check (role in ('agent', 'admin')),
    active boolean not null default true,
    locale text not null check (locale in ('ja', 'en')),
    password_hash text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db);
  // One agent per address, however it is spelled.
  await sql`create unique index agents_email_key on agents (lower(email))`.execute(db);
}
