import { createHash } from 'node:crypto';
import {
  Kysely,
  type PostgresCursor,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
  type RawBuilder,
  sql,
} from 'kysely';
import pg from 'pg';
import { parseIntoClientConfig } from 'pg-connection-string';
import type { Database } from './schema.js';

// bigint (int8) columns come back as strings; keep them so, numbers above 2^53 must not round.
export type Db = Kysely<Database>;

export interface DatabaseProps {
  url: string;
  max?: number;
}

export function createDatabase({ url, max = 10 }: DatabaseProps): Db {
  const config = parseIntoClientConfig(url);
  const pool = new pg.Pool({
    ...config,
    // Short OLTP statements: compiling them with LLVM (jit) costs more than it saves, whatever the
    // estimates say. Settings given in the URL (`?options=-c search_path=...`) come later and win.
    options: ['-c jit=off', config.options].filter(Boolean).join(' '),
    max,
    connectionTimeoutMillis: 10_000,
    // A connection whose peer vanished without a word (a NAT or failover) is found by TCP keep-alive.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // A pooled client that errors while idle must not crash the process; the pool drops it.
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: new PreparingPool(pool) }) });
}

// The few statements every mail runs (ingest, triage, send) are parsed and planned once per connection
// instead of on every call: for these statements Postgres spends longer planning than executing. Such a
// statement starts with `prepared('name')`; the set is fixed in the code, so the statements each connection
// keeps are bounded. Everything else runs unnamed, as usual.

const marker = /^\/\* prepared:([a-z0-9_]+) \*\//;

/** Put first in a `sql` template to have the statement prepared once per connection and reused. */
export function prepared(name: string): RawBuilder<unknown> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`statement name ${name} must be [a-z0-9_]`);
  return sql.raw(`/* prepared:${name} */`);
}

const statementNames = new Map<string, string>();

/** The statement's name: its label and a hash of its text, so two texts can never share a name. */
function statementName(label: string, text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `${label}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
    statementNames.set(text, name);
  }
  return name;
}

class PreparingPool implements PostgresPool {
  constructor(private readonly pool: pg.Pool) {}

  async connect(): Promise<PostgresPoolClient> {
    return new PreparingClient(await this.pool.connect());
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

/** A pooled connection that runs labelled statements as named prepared statements. */
class PreparingClient implements PostgresPoolClient {
  // A prepared statement outlives a migration that changes what it returns ("cached plan must not change
  // result type"): such a connection is dropped on release, and the job's retry gets a fresh one.
  private stale = false;

  constructor(private readonly client: pg.PoolClient) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    text: string | PostgresCursor<R>,
    values?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    // Kysely hands over a cursor only to stream results, which this product never does.
    if (typeof text !== 'string') throw new Error('streaming queries are not supported here');
    const label = marker.exec(text)?.[1];
    const args = values ? [...values] : [];
    const run = label
      ? this.client.query({ name: statementName(label, text), text, values: args })
      : this.client.query(text, args);
    return run.then(
      (r) => ({
        command: r.command as PostgresQueryResult<R>['command'],
        rowCount: r.rowCount ?? 0,
        rows: r.rows as R[],
      }),
      (err: { code?: string }) => {
        if (label && err.code === '0A000') this.stale = true;
        throw err;
      },
    );
  }

  release(destroy?: boolean): void {
    this.client.release(destroy || this.stale);
  }
}
