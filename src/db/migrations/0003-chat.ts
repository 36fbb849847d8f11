import { type Kysely, sql } from 'kysely';

// Chat: one session per widget visitor (resumed by a signed token), its case, and delivery bookkeeping.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('chat_sessions')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id'))
    .addColumn('case_id', 'uuid', (c) => c.references('cases.id').onDelete('set null'))
    .addColumn('verified', 'boolean', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('name', 'text')
    .addColumn('locale', 'text', (c) => c.notNull().defaultTo('ja'))
    .addColumn('connections', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('transcript_sent_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('chat_sessions_case_idx').on('chat_sessions').column('case_id').execute();
  // A client retry with the same clientId is the same message.
  await sql`create unique index messages_case_client_id_key on messages (case_id, client_id)
    where client_id is not null`.execute(db);
}
