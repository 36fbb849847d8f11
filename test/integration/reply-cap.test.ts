import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import { type ReplySlots, takeReplySlots } from '../../src/triage/reply-cap.js';
import { createMigratedDatabase, type TestDatabase } from '../support/database.js';

// The overall reply cap against real Postgres: transactions that run at once never pass it together.

describe('overall reply cap under concurrency', () => {
  let testDb: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    ({ testDb, db } = await createMigratedDatabase(12));
  });

  afterAll(async () => {
    await db?.destroy();
    await testDb?.drop();
  });

  /** Runs `wants.length` transactions that each ask for their slots only once all of them are open. */
  async function askAtOnce(wants: number[], limit: number): Promise<ReplySlots[]> {
    let open = 0;
    let release!: () => void;
    const allOpen = new Promise<void>((r) => {
      release = r;
    });
    return Promise.all(
      wants.map((wanted) =>
        db.transaction().execute(async (tx): Promise<ReplySlots> => {
          await sql`select 1`.execute(tx);
          if (++open === wants.length) release();
          await allOpen;
          return takeReplySlots(tx, wanted, limit);
        }),
      ),
    );
  }

  it('gives exactly `limit` slots to many transactions at once, and tells one of the rest it was first', async () => {
    const limit = 7;
    const results = await askAtOnce(Array(10).fill(1), limit);
    expect(results.filter((r) => r.granted === 1)).toHaveLength(limit);
    const held = results.filter((r) => r.granted === 0);
    expect(held).toHaveLength(3);
    expect(held.filter((r) => r.firstHeld)).toHaveLength(1);
    const row = await db.selectFrom('auto_reply_hours').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ sent: limit, held: 3 });
  });

  it('splits the slots between batches that ask for several at once', async () => {
    await db.deleteFrom('auto_reply_hours').execute();
    const results = await askAtOnce([4, 4, 4], 7);
    expect(results.reduce((n, r) => n + r.granted, 0)).toBe(7);
    expect(results.map((r) => r.granted).sort()).toEqual([0, 3, 4]);
    expect(results.filter((r) => r.firstHeld)).toHaveLength(1);
    const row = await db.selectFrom('auto_reply_hours').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ sent: 7, held: 5 });
  });

  it('gives nothing back when the transaction that took a slot rolls back', async () => {
    await db.deleteFrom('auto_reply_hours').execute();
    await expect(
      db.transaction().execute(async (tx) => {
        expect(await takeReplySlots(tx, 1, 1)).toEqual({ granted: 1, firstHeld: false });
        throw new Error('triage failed after taking its slot');
      }),
    ).rejects.toThrow('triage failed');
    await db.transaction().execute(async (tx) => {
      expect(await takeReplySlots(tx, 1, 1)).toEqual({ granted: 1, firstHeld: false });
      expect(await takeReplySlots(tx, 1, 1)).toEqual({ granted: 0, firstHeld: true });
    });
  });
});
