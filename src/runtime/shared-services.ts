import type { ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { createDatabase, type Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { HealthBoard } from '../health.js';
import type { Logger } from '../logger.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { EntraTokens } from '../microsoft/entra-tokens.js';
import type { GraphClient } from '../microsoft/graph-client.js';
import { mailGraphClient } from '../microsoft/mail-graph-client.js';
import { Queues } from '../pipeline/queues.js';
import { connectRedis, queueConnection } from '../redis-connection.js';
import { RedisOutage } from '../redis-outage.js';
import { loadSecrets, type Secrets } from '../secrets.js';
import { TriageConfig } from '../triage/triage-config.js';
import type { ShutdownStack } from './shutdown-stack.js';

const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK'];

/** What every role uses, built once per process whatever its roles. */
export interface SharedServices {
  redisOutage: RedisOutage;
  redis: Redis;
  db: Db;
  triageConfig: TriageConfig;
  secrets: Secrets;
  connection: ConnectionOptions;
  queues: Queues;
  metrics: Metrics;
  health: HealthBoard;
  /** App-only Microsoft Entra tokens (one cache for the process), when MS_* are set. */
  entra?: EntraTokens;
  /** Graph for the GRAPH_MAILBOX mailbox, shared by its intake and its sender (four requests at a time). */
  graph?: GraphClient;
  /** The Graph clients of mailboxes admins added, by mailbox key (one per mailbox and process). */
  graphClients: Map<string, GraphClient>;
}

export async function startSharedServices(
  config: Config,
  logger: Logger,
  stops: ShutdownStack,
): Promise<SharedServices> {
  const redisOutage = new RedisOutage(logger);
  const redis: Redis = await connectRedis(config.redisUrl, redisOutage);
  stops.push(() => void redis.disconnect());

  const databaseUrl = config.databaseUrl || (await startEmbeddedDatabase(config, logger, stops));
  // Every stage worker may hold one connection per running job; the rest serve HTTP and intake, so that
  // marking a send done never waits behind a busy pool.
  const db = createDatabase({ url: databaseUrl, max: config.workerConcurrency * 3 + 6 });
  stops.push(() => db.destroy());
  const applied = await migrateToLatest(db);
  if (applied.length) logger.info({ applied }, 'database migrated');
  const triageConfig = new TriageConfig(db, { learnedOpinion: config.triageLearnedOpinion });
  await triageConfig.seed();
  const secrets = await loadSecrets(db, config);

  const connection = queueConnection(config.redisUrl);
  const queues = new Queues(connection, config.redisPrefix, redisOutage);
  stops.push(() => queues.close());
  const metrics = createMetrics();
  const health = new HealthBoard(redis, config.redisPrefix);
  const entra = config.microsoft
    ? new EntraTokens(config.microsoft, (code) => metrics.entraTokenFailures.inc({ code }))
    : undefined;
  const graph = graphClient(config, entra, metrics);
  const graphClients = new Map<string, GraphClient>();
  const services = {
    redisOutage,
    redis,
    db,
    triageConfig,
    secrets,
    connection,
    queues,
    metrics,
    health,
    entra,
  };
  return { ...services, graph, graphClients };
}

function graphClient(
  config: Config,
  entra: EntraTokens | undefined,
  metrics: Metrics,
): GraphClient | undefined {
  if (!config.graphMailbox || !config.microsoft || !entra) return undefined;
  return mailGraphClient(config.microsoft.graphUrl, entra, metrics);
}

/** Starts the embedded Postgres (no DATABASE_URL) and returns its URL. */
async function startEmbeddedDatabase(config: Config, logger: Logger, stops: ShutdownStack): Promise<string> {
  // Loaded only when needed. The package installs signal hooks that exit at once; our own shutdown
  // (workers drained, then the database stopped) must keep SIGTERM and SIGINT.
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { startEmbeddedPostgres } = await import('../db/embedded-postgres.js');
  for (const s of signals) {
    for (const l of process.listeners(s)) if (!before.get(s)?.has(l)) process.off(s, l);
  }
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.embeddedPgPort,
    logger,
  });
  stops.push(() => embedded.stop());
  return embedded.url;
}
