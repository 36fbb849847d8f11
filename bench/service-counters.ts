import { Redis } from 'ioredis';
import pg from 'pg';

// Work the product asks of Postgres and Redis, as the servers count it: committed transactions of one
// database (every autocommit statement is one), rows read by sequential scans (a missing index shows up
// here, growing with the table), and commands Redis processed (server-wide, Lua scripts' calls included).

export interface ServiceCounters {
  pgTransactions: number;
  /** Rows read by sequential scans, per table of the database. */
  pgSeqRows: Record<string, number>;
  redisCommands: number;
}

export async function readServiceCounters(databaseUrl: string, redisUrl: string): Promise<ServiceCounters> {
  const client = new pg.Client({ connectionString: databaseUrl });
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await client.connect();
    // Statistics reach pg_stat_database when a backend goes idle (at most a second later in PG 15).
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ xacts: string }>(
      'SELECT xact_commit + xact_rollback AS xacts FROM pg_stat_database WHERE datname = current_database()',
    );
    const tables = await client.query<{ relname: string; rows: string }>(
      'SELECT relname, seq_tup_read AS rows FROM pg_stat_user_tables',
    );
    await redis.connect();
    const info = await redis.info('stats');
    const commands = /^total_commands_processed:(\d+)/m.exec(info);
    return {
      pgTransactions: Number(rows[0]?.xacts ?? 0),
      pgSeqRows: Object.fromEntries(tables.rows.map((t) => [t.relname, Number(t.rows)])),
      redisCommands: Number(commands?.[1] ?? 0),
    };
  } finally {
    await client.end().catch(() => {});
    redis.disconnect();
  }
}
