import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { type ReplySlot, takeReplySlot } from '../../src/triage/reply-cap.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The overall reply cap against real Postgres: transactions that run at once never pass it together.

describe('overall reply cap under concurrency', () => {
  let testDb: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    const migrator = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: testDb.url, max: 1 }) }),
    });
    await migrateToLatest(migrator);
    await migrator.destroy();
    db = createDatabase({ url: testDb.url, max: 12 });
  });

  afterAll(async () => {
    await db?.destroy();
    await testDb?.drop();
  });

  it('gives exactly `limit` slots to many transactions at once, and tells one of the rest it was first', async () => {
    const limit = 7;
    // Every transaction opens and waits until all ten are open, then all ask for a slot at once.
    let open = 0;
    let release!: () => void;
    const allOpen = new Promise<void>((r) => {
      release = r;
    });
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        db.transaction().execute(async (tx): Promise<ReplySlot> => {
          await sql`select 1`.execute(tx);
          if (++open === 10) release();
          await allOpen;
          return takeReplySlot(tx, limit);
        }),
      ),
    );
    expect(results.filter((r) => r.taken)).toHaveLength(limit);
    const held = results.filter((r): r is Extract<ReplySlot, { taken: false }> => !r.taken);
    expect(held).toHaveLength(3);
    expect(held.filter((r) => r.firstHeld)).toHaveLength(1);
    const row = await db.selectFrom('auto_reply_hours').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ sent: limit, held: 3 });
  });

  it('gives nothing back when the transaction that took a slot rolls back', async () => {
    await db.deleteFrom('auto_reply_hours').execute();
    await expect(
      db.transaction().execute(async (tx) => {
        expect(await takeReplySlot(tx, 1)).toEqual({ taken: true });
        throw new Error('triage failed after taking its slot');
      }),
    ).rejects.toThrow('triage failed');
    await db.transaction().execute(async (tx) => {
      expect(await takeReplySlot(tx, 1)).toEqual({ taken: true });
      expect(await takeReplySlot(tx, 1)).toEqual({ taken: false, firstHeld: true });
    });
  });
});
