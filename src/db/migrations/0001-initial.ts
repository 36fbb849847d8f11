import { type Kysely, sql } from 'kysely';

// Forward-only. Never edit a migration that has shipped; add the next number instead.
// One function per group of tables, run in an order where every table exists before one references it.

/** The extension for gen_random_uuid, settings, support plans and the partner profile. */
async function createSettingsAndPlans(db: Kysely<unknown>): Promise<void> {
  await sql`create extension if not exists pgcrypto`.execute(db);

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('plans')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('support_type', 'text', (c) => c.notNull())
    .addColumn('hours', 'jsonb', (c) => c.notNull())
    .addColumn('contact_methods', 'jsonb', (c) => c.notNull())
    .addColumn('price', 'jsonb', (c) => c.notNull())
    .addColumn('response_targets', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // The partner's own support profile: one row. Its default plan answers senders we cannot place.
  await db.schema
    .createTable('partner_profile')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('default_plan_id', 'uuid', (c) => c.references('plans.id').onDelete('set null'))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`insert into partner_profile (id, name) values (1, 'CSP Partner Support')`.execute(db);
}

/** Customers, the mail domains that identify them, and the people who write in. */
async function createCustomers(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('customers')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('relationship', 'text', (c) => c.notNull().check(sql`relationship in ('direct', 'indirect')`))
    .addColumn('indirect_provider_email', 'text')
    .addColumn('plan_id', 'uuid', (c) => c.references('plans.id').onDelete('restrict'))
    .addColumn('locale', 'text', (c) => c.notNull().defaultTo('ja'))
    .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('Asia/Tokyo'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('customer_domains')
    .addColumn('domain', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'uuid', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text')
    .addColumn('customer_id', 'uuid', (c) => c.references('customers.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

/** Cases, numbered from 1001. */
async function createCases(db: Kysely<unknown>): Promise<void> {
  await sql`create sequence case_number_seq start 1001`.execute(db);
  await db.schema
    .createTable('cases')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('number', 'bigint', (c) => c.notNull().unique().defaultTo(sql`nextval('case_number_seq')`))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('new').check(sql`status in ('new', 'open', 'pending', 'resolved', 'closed')`),
    )
    .addColumn('priority', 'text', (c) =>
      c.notNull().defaultTo('normal').check(sql`priority in ('low', 'normal', 'high', 'urgent')`),
    )
    .addColumn('category', 'text', (c) => c.notNull().defaultTo('unclassified'))
    .addColumn('handling', 'text', (c) =>
      c.notNull().defaultTo('partner').check(sql`handling in ('partner', 'microsoft', 'indirect_provider')`),
    )
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('email', 'chat')`))
    .addColumn('verified', 'boolean', (c) => c.notNull())
    .addColumn('customer_id', 'uuid', (c) => c.references('customers.id').onDelete('set null'))
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id'))
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz')
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('cases_status_idx').on('cases').columns(['status', 'created_at']).execute();
  await db.schema.createIndex('cases_customer_idx').on('cases').column('customer_id').execute();
}

async function createRawMails(db: Kysely<unknown>): Promise<void> {
  // The original bytes of every fetched mail, written before the mailbox checkpoint moves.
  await db.schema
    .createTable('raw_mails')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('mailbox_key', 'text', (c) => c.notNull())
    .addColumn('uid_validity', 'bigint', (c) => c.notNull())
    .addColumn('uid', 'bigint', (c) => c.notNull())
    .addColumn('bytes', 'bytea', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('received')
        .check(sql`state in ('received', 'ingested', 'duplicate', 'quarantined')`),
    )
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('processed_at', 'timestamptz')
    .addUniqueConstraint('raw_mails_mailbox_uid_key', ['mailbox_key', 'uid_validity', 'uid'])
    .execute();
  await sql`create index raw_mails_pending_idx on raw_mails (id) where state = 'received'`.execute(db);
}

/** Messages of every channel and their attachments. */
async function createMessages(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('messages')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('case_id', 'uuid', (c) => c.notNull().references('cases.id').onDelete('cascade'))
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('in', 'out')`))
    .addColumn('author', 'text', (c) => c.notNull().check(sql`author in ('customer', 'agent', 'system')`))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('full_text', 'text')
    .addColumn('html', 'text')
    .addColumn('from_address', 'text')
    .addColumn('from_name', 'text')
    .addColumn('mailbox_key', 'text')
    .addColumn('message_id', 'text')
    .addColumn('in_reply_to', 'text')
    .addColumn('references', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('raw_mail_id', 'bigint', (c) => c.references('raw_mails.id'))
    .addColumn('client_id', 'text')
    // Why this message must never get an automatic answer (RFC 3834 and friends), or null.
    .addColumn('auto_reply_blocker', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // One stored message per Message-ID per mailbox: a duplicate delivery joins nothing twice.
  await sql`create unique index messages_mailbox_message_id_key on messages (mailbox_key, message_id)
    where mailbox_key is not null and message_id is not null`.execute(db);
  await db.schema.createIndex('messages_message_id_idx').on('messages').column('message_id').execute();
  await db.schema
    .createIndex('messages_case_idx')
    .on('messages')
    .columns(['case_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('attachments')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('message_id', 'uuid', (c) => c.notNull().references('messages.id').onDelete('cascade'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('content', 'bytea')
    .addColumn('omitted_reason', 'text')
    .execute();
}

/** Mail that could not be processed, and where each mailbox was read up to. */
async function createIntakeState(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('quarantine')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('raw_mail_id', 'bigint', (c) => c.unique().references('raw_mails.id'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('mailbox_state')
    .addColumn('mailbox_key', 'text', (c) => c.primaryKey())
    .addColumn('uid_validity', 'bigint', (c) => c.notNull())
    .addColumn('last_uid', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

/** The reasons behind every triage decision. */
async function createTriageRecords(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('triage_records')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('case_id', 'uuid', (c) => c.notNull().references('cases.id').onDelete('cascade'))
    .addColumn('message_id', 'uuid', (c) => c.references('messages.id').onDelete('cascade'))
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('triage_records_case_idx').on('triage_records').column('case_id').execute();
  await db.schema
    .createIndex('triage_records_message_idx')
    .on('triage_records')
    .column('message_id')
    .execute();
}

async function createOutbox(db: Kysely<unknown>): Promise<void> {
  // Every send is a row first; the send job only ever reads it. message_id is fixed before the first try.
  await db.schema
    .createTable('outbox')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('case_id', 'uuid', (c) => c.notNull().references('cases.id').onDelete('cascade'))
    .addColumn('trigger_message_id', 'uuid', (c) => c.references('messages.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('template_key', 'text')
    .addColumn('locale', 'text')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('automatic', 'boolean', (c) => c.notNull())
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('from_address', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body_text', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull().unique())
    .addColumn('in_reply_to', 'text')
    .addColumn('references', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`status in ('pending', 'sending', 'sent', 'logged', 'failed')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .addUniqueConstraint('outbox_trigger_purpose_key', ['trigger_message_id', 'purpose'])
    .execute();
  await sql`create index outbox_unsent_idx on outbox (created_at) where status in ('pending', 'sending')`.execute(
    db,
  );
  await db.schema
    .createIndex('outbox_auto_to_idx')
    .on('outbox')
    .columns(['to_address', 'created_at'])
    .execute();
}

/** Reply templates and the audit log of admin changes. */
async function createTemplatesAndAudit(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('templates')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('templates_key_locale_version_key', ['key', 'locale', 'version'])
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await createSettingsAndPlans(db);
  await createCustomers(db);
  await createCases(db);
  await createRawMails(db);
  await createMessages(db);
  await createIntakeState(db);
  await createTriageRecords(db);
  await createOutbox(db);
  await createTemplatesAndAudit(db);
}
