import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

// bigint (int8) columns come back as strings; keep them so, numbers above 2^53 must not round.
export type Db = Kysely<Database>;

export interface DatabaseProps {
  url: string;
  max?: number;
}

export function createDatabase({ url, max = 10 }: DatabaseProps): Db {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000 });
  // A pooled client that errors while idle must not crash the process; the pool drops it.
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
