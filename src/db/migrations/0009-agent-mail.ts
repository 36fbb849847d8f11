import { type Kysely, sql } from 'kysely';

// Agents at work by mail: notifications to each agent (several sends per message, one per agent), answers and
// internal notes by agent, the mail agents send that is kept and not delivered (with the reason), the case's
// assignee and its hand-over to Microsoft (whose response-due clock stops while Microsoft has it).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table outbox
    add column agent_id uuid references agents (id) on delete cascade,
    add column reply_to text,
    add column from_name text,
    add column body_html text,
    alter column case_id drop not null`.execute(db);
  // One send per triggering message, purpose and agent (acknowledgements and escalations have no agent).
  await sql`alter table outbox drop constraint outbox_trigger_purpose_key`.execute(db);
  await sql`create unique index outbox_trigger_purpose_agent_key on outbox
    (trigger_message_id, purpose, coalesce(agent_id, '00000000-0000-0000-0000-000000000000'::uuid))`.execute(
    db,
  );
  await sql`alter table messages
    add column agent_id uuid references agents (id) on delete set null,
    add column internal boolean not null default false`.execute(db);
  await sql`alter table cases
    add column assignee_id uuid references agents (id) on delete set null,
    add column microsoft_request_number text,
    add column microsoft_request_opened_at timestamptz,
    add column microsoft_request_status text
      check (microsoft_request_status in ('open', 'answered', 'closed')),
    add column due_paused_at timestamptz`.execute(db);
  // What an indirect provider's desk needs to act: the customer's Microsoft tenant, and the language it reads.
  await sql`alter table customers
    add column tenant_id text,
    add column provider_locale text check (provider_locale in ('ja', 'en'))`.execute(db);
  await sql`alter table raw_mails drop constraint raw_mails_state_check`.execute(db);
  await sql`alter table raw_mails add constraint raw_mails_state_check
    check (state in ('received', 'ingested', 'duplicate', 'quarantined', 'agent_mail'))`.execute(db);
  await sql`create table agent_mails (
    id uuid primary key default gen_random_uuid(),
    raw_mail_id bigint unique references raw_mails (id) on delete set null,
    outcome text not null check (outcome in ('answered', 'rejected', 'dropped')),
    reason text not null,
    detail text not null default '',
    from_address text,
    subject text not null default '',
    message_id text,
    agent_id uuid references agents (id) on delete set null,
    case_id uuid references cases (id) on delete set null,
    told boolean not null default false,
    created_at timestamptz not null default now()
  )`.execute(db);
  // An agent's client that sends one reply twice (a retry) makes one answer.
  await sql`create unique index agent_mails_answer_key on agent_mails (lower(from_address), message_id)
    where outcome = 'answered'`.execute(db);
  await sql`create index agent_mails_rejected_idx on agent_mails (created_at) where outcome = 'rejected'`.execute(
    db,
  );
}
