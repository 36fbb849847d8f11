import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Db, prepared } from '../../src/db/database.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('database: hot statements are prepared once per connection', () => {
  let testDb: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    // One connection, so that every statement below runs in the same Postgres session.
    db = createDatabase({ url: testDb.url, max: 1 });
  });

  afterAll(async () => {
    await db?.destroy();
    await testDb?.drop();
  });

  const preparedNames = async () =>
    (await sql<{ name: string }>`select name from pg_prepared_statements order by name`.execute(db)).rows.map(
      (r) => r.name,
    );

  it('prepares a marked statement once and reuses it with new values; unmarked ones stay unnamed', async () => {
    const double = (n: number) =>
      sql<{ n: number }>`${prepared('test_double')} select ${n}::int * 2 as n`.execute(db);
    expect((await double(2)).rows).toEqual([{ n: 4 }]);
    expect((await double(21)).rows).toEqual([{ n: 42 }]);
    await sql`select ${1}::int as unmarked`.execute(db);
    const names = await preparedNames();
    expect(names.filter((n) => n.startsWith('test_double_'))).toHaveLength(1);
    expect(names.every((n) => n.startsWith('test_double_'))).toBe(true);
  });

  it('gives two different texts under one label two statements, never a wrong plan', async () => {
    const a = await sql<{ v: string }>`${prepared('test_same')} select ${'a'}::text as v`.execute(db);
    const b = await sql<{ v: string }>`${prepared('test_same')} select upper(${'b'}::text) as v`.execute(db);
    expect(a.rows).toEqual([{ v: 'a' }]);
    expect(b.rows).toEqual([{ v: 'B' }]);
    expect((await preparedNames()).filter((n) => n.startsWith('test_same_'))).toHaveLength(2);
  });

  it('runs sessions without JIT compilation', async () => {
    const jit = await sql<{ jit: string }>`select current_setting('jit') as jit`.execute(db);
    expect(jit.rows[0]!.jit).toBe('off');
  });

  it('keeps session options given in the URL next to its own', async () => {
    const url = new URL(testDb.url);
    url.searchParams.set('options', '-c application_name=from_url');
    const other = createDatabase({ url: url.toString(), max: 1 });
    try {
      const r = await sql<{ app: string; jit: string }>`select current_setting('application_name') as app,
        current_setting('jit') as jit`.execute(other);
      expect(r.rows[0]).toEqual({ app: 'from_url', jit: 'off' });
    } finally {
      await other.destroy();
    }
  });

  it('lets the settings in the URL win, and keeps its own with a stray % in the password', async () => {
    const url = new URL(testDb.url);
    const read = async (raw: string) => {
      const other = createDatabase({ url: raw, max: 1 });
      try {
        return (await sql<{ jit: string }>`select current_setting('jit') as jit`.execute(other)).rows[0];
      } finally {
        await other.destroy();
      }
    };
    const base = `postgres://${url.username}@${url.host}${url.pathname}`;
    expect(await read(`${base}?options=-c%20jit%3Don`)).toEqual({ jit: 'on' });
    // Trust authentication ignores the password; what matters is that the URL still yields a session.
    expect(await read(`postgres://${url.username}:p%zz@${url.host}${url.pathname}`)).toEqual({ jit: 'off' });
  });

  it('drops a connection whose prepared statement a migration made stale; the retry works', async () => {
    await sql`create table prep_probe (a int)`.execute(db);
    await sql`insert into prep_probe values (1)`.execute(db);
    const read = () =>
      sql<Record<string, number>>`${prepared('test_probe')} select * from prep_probe`.execute(db);
    expect((await read()).rows).toEqual([{ a: 1 }]);
    await sql`alter table prep_probe add column b int default 2`.execute(db);
    await expect(read()).rejects.toMatchObject({ code: '0A000' });
    expect((await read()).rows).toEqual([{ a: 1, b: 2 }]);
  });

  it('refuses a statement label that could break out of the comment', () => {
    expect(() => prepared('x */ drop table cases; /*')).toThrow(/must be \[a-z0-9_\]/);
  });
});
