import { ConfigError, configFromProcess } from '../config.js';
import { createLogger } from '../logger.js';
import { createDatabase } from './database.js';
import { migrateToLatest } from './migrate.js';

// `npm run migrate`: brings the database named by DATABASE_URL (or the embedded one) to the latest schema.
// Start-up runs the same migrations; this is for deploys that migrate before rolling out processes.

async function run(): Promise<number> {
  let config: ReturnType<typeof configFromProcess>;
  try {
    config = configFromProcess();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stderr.write(`configuration error: ${p}\n`);
    return 78;
  }
  const logger = createLogger(config.logLevel);
  let url = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
    const { startEmbeddedPostgres } = await import('./embedded-postgres.js');
    const embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      logger,
    });
    url = embedded.url;
    stopEmbedded = () => embedded.stop();
  }
  const db = createDatabase({ url, max: 1 });
  try {
    const applied = await migrateToLatest(db);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
    return 0;
  } catch (err) {
    process.stderr.write(`migration failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await db.destroy();
    await stopEmbedded?.();
  }
}

process.exitCode = await run();
