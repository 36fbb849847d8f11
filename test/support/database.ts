import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createDatabase, type Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export interface TestDatabase {
  /** Connection URL of the new database (same server and credentials as the base URL). */
  url: string;
  /** `csp_test_<random>` */
  name: string;
  /** Terminates remaining connections and drops the database. Safe to call twice. */
  drop(): Promise<void>;
}

export const DEFAULT_TEST_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

function baseUrl(): string {
  return process.env.TEST_PG_URL || DEFAULT_TEST_PG_URL;
}

async function withAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: baseUrl(), connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot reach PostgreSQL at ${baseUrl()} (set TEST_PG_URL?): ${String(error)}`);
  }
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates an empty database `csp_test_<random>` for one test (file) on the server of TEST_PG_URL. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `csp_test_${randomBytes(6).toString('hex')}`;
  // The name is generated from [a-z0-9_] only, so quoting it as an identifier is safe.
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(baseUrl());
  url.pathname = `/${name}`;

  let dropping: Promise<void> | undefined;
  return {
    url: url.toString(),
    name,
    drop() {
      dropping ??= withAdmin(async (client) => {
        await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
      return dropping;
    },
  };
}

/** A new test database with every migration applied, and a typed handle on it. */
export async function createMigratedDatabase(max = 8): Promise<{ testDb: TestDatabase; db: Db }> {
  const testDb = await createTestDatabase();
  // The migrator works on an untyped handle; the typed one is opened on the migrated database.
  const untyped = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: testDb.url, max: 1 }) }),
  });
  try {
    await migrateToLatest(untyped);
  } finally {
    await untyped.destroy();
  }
  return { testDb, db: createDatabase({ url: testDb.url, max }) };
}
