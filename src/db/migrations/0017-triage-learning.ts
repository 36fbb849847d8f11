import { type Kysely, sql } from 'kysely';

// Aliases admins add to the service catalogue, and the corrections agents and admins make to triage: each
// one keeps the case's text and what triage said, so a rule change can be replayed against them.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table service_aliases (
    alias_key text primary key,
    alias text not null,
    service_id text not null,
    actor text not null,
    created_at timestamptz not null default now())`.execute(db);
  await sql`create table triage_corrections (
    id bigserial primary key,
    case_id uuid not null references cases(id) on delete cascade,
    case_number bigint not null,
    actor text not null,
    via text not null check (via in ('mail', 'api')),
    from_category text not null,
    to_category text not null,
    from_handling text not null,
    to_handling text not null,
    category_corrected boolean not null,
    handling_corrected boolean not null,
    rule_id text,
    subject text not null,
    body text not null,
    channel text not null,
    locale text not null,
    relationship text,
    verified boolean not null,
    incident_ids text[] not null default '{}',
    created_at timestamptz not null default now())`.execute(db);
  await sql`create index triage_corrections_created on triage_corrections (created_at desc)`.execute(db);
  await sql`create index triage_corrections_rule on triage_corrections (rule_id)`.execute(db);
}
