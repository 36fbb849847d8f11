import { type Kysely, sql } from 'kysely';

// The services Microsoft 365 service health names (Graph healthOverviews) and each one's state now.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table service_overviews (
    id text primary key,
    service text not null,
    status text not null,
    updated_at timestamptz not null default now())`.execute(db);
}
