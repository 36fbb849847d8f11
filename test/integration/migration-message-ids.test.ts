import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Db } from '../../src/db/database.js';
import { migrateTo, migrateToLatest } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// Message-IDs became unique across mailboxes (0015). A database where one mailbox's key changed (another
// server or folder, read again from the start) holds the same Message-ID under two keys; the migration keeps
// both messages and still builds the index.

describe('migration 0015 over messages stored under two mailbox keys', () => {
  let testDb: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = createDatabase({ url: testDb.url, max: 2 });
    await migrateTo(db, '0014-graph-mailbox');
  });

  afterAll(async () => {
    await db?.destroy();
    await testDb?.drop();
  });

  it('keeps every message, the later copy under a key of its own, and builds the unique index', async () => {
    const contact = await sql<{ id: string }>`insert into contacts (email) values ('a@contoso.example')
      returning id`.execute(db);
    const kase = await sql<{ id: string }>`insert into cases (subject, channel, locale, verified, contact_id)
      values ('s', 'email', 'ja', true, ${contact.rows[0]!.id}) returning id`.execute(db);
    const caseId = kase.rows[0]!.id;
    for (const key of ['support@old.example:993/INBOX', 'support@new.example:993/INBOX'])
      await sql`insert into messages (case_id, direction, author, channel, text, mailbox_key, message_id)
        values (${caseId}, 'in', 'customer', 'email', 't', ${key}, '<same@x>')`.execute(db);
    await migrateToLatest(db);
    const rows = await sql<{ message_id: string; mailbox_key: string }>`select message_id, mailbox_key
      from messages order by created_at, id`.execute(db);
    expect(rows.rows).toHaveLength(2);
    expect(rows.rows.filter((r) => r.message_id === '<same@x>')).toHaveLength(1);
    expect(rows.rows.filter((r) => r.message_id.startsWith('<same@x>#copy-'))).toHaveLength(1);
    const index = await sql<{ n: string }>`select count(*) n from pg_indexes
      where indexname = 'messages_message_id_key'`.execute(db);
    expect(Number(index.rows[0]!.n)).toBe(1);
  });
});
