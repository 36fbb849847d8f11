import type { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { ChatDelivery } from './channels/chat/chat-delivery.js';
import { startChatGateway } from './channels/chat/gateway.js';
import { TranscriptSweeper } from './channels/chat/transcript-sweeper.js';
import { ImapIntake } from './channels/email/imap-intake.js';
import { createMailParser } from './channels/email/parse-pool.js';
import { SmtpSender } from './channels/email/smtp-sender.js';
import { clientAddressOf } from './client-address.js';
import type { Config } from './config.js';
import { createDatabase, type Db } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { HealthBoard } from './health.js';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { startStageWorkers } from './pipeline/stage-workers.js';
import { Queues } from './queues.js';
import { RecoverySweeper } from './recovery-sweeper.js';
import { connectRedis, queueConnection, redisClient } from './redis-connection.js';
import { RedisOutage } from './redis-outage.js';
import { RenderSandbox } from './replies/render-sandbox.js';
import { TemplateStore } from './replies/template-store.js';
import { loadSecrets } from './secrets.js';
import { buildServer, type RouteSummary, registeredRoutes } from './server.js';
import { HealthPoller } from './triage/graph-health-import.js';
import { TriageConfig } from './triage/triage-config.js';

const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK'];

export interface Runtime {
  /** Base URL of the HTTP server, when this role serves HTTP. */
  url: string | null;
  db: Db;
  /** The HTTP routes this process serves (empty without HTTP). */
  routes: RouteSummary[];
  stop(): Promise<void>;
}

/** Wires one process for its role: HTTP (api), queue consumers (worker), mailbox pull (intake), or all. */
export interface RuntimeOptions {
  /** The clock triage reads (business hours, due times); tests set it, production leaves it. */
  now?: () => Date;
}

export async function startRuntime(
  config: Config,
  logger: Logger,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const stops: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        logger.warn({ err }, 'error during shutdown');
      }
    }
  };
  try {
    const redisOutage = new RedisOutage(logger);
    const redis: Redis = await connectRedis(config.redisUrl, redisOutage);
    stops.push(() => void redis.disconnect());

    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      // Loaded only when needed. The package installs signal hooks that exit at once; our own shutdown
      // (workers drained, then the database stopped) must keep SIGTERM and SIGINT.
      const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
      const { startEmbeddedPostgres } = await import('./db/embedded-postgres.js');
      for (const s of signals) {
        for (const l of process.listeners(s)) if (!before.get(s)?.has(l)) process.off(s, l);
      }
      const embedded = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        port: config.embeddedPgPort,
        logger,
      });
      stops.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    // Every stage worker may hold one connection per running job; the rest serve HTTP and intake, so that
    // marking a send done never waits behind a busy pool.
    const db = createDatabase({ url: databaseUrl, max: config.workerConcurrency * 3 + 6 });
    stops.push(() => db.destroy());
    const applied = await migrateToLatest(db);
    if (applied.length) logger.info({ applied }, 'database migrated');
    const triageConfig = new TriageConfig(db);
    await triageConfig.seed();
    const secrets = await loadSecrets(db, config);

    const connection = queueConnection(config.redisUrl);
    const queues = new Queues(connection, config.redisPrefix, redisOutage);
    stops.push(() => queues.close());
    const metrics = createMetrics();
    const health = new HealthBoard(redis, config.redisPrefix);
    const role = config.role;

    let app: FastifyInstance | null = null;
    let url: string | null = null;
    if (role === 'all' || role === 'api') {
      app = await buildServer({
        config,
        db,
        redis,
        queues,
        metrics,
        logger,
        triageConfig,
        secrets,
        health,
      });
      const gateway = startChatGateway({
        httpServer: app.server,
        db,
        queues,
        logger,
        redisUrl: config.redisUrl,
        redisPrefix: config.redisPrefix,
        redisWatch: redisOutage,
        secretKey: secrets.secretKey,
        identitySecret: secrets.chatIdentitySecret,
        allowedOrigins: config.chatAllowedOrigins,
        limits: config.chatLimits,
        clientAddress: clientAddressOf(config.trustProxy),
        sessionTtlSeconds: config.chatSessionIdleDays * 24 * 3600,
      });

      url = await app.listen({ port: config.port, host: config.host });
      logger.info({ url }, 'http listening');
      const server = app;
      stops.push(() => server.close());
      // Pushed after the HTTP server, so it runs before it: fastify's close waits for open websockets.
      stops.push(() => gateway.close());
    }

    if (role === 'all' || role === 'worker') {
      const sandbox = new RenderSandbox();
      const parser = createMailParser({ threads: config.mailParseThreads });
      stops.push(() => parser.close());
      const templates = new TemplateStore(db);
      stops.push(() => sandbox.close());
      const sender = config.smtp ? new SmtpSender(config.smtp) : undefined;
      const emitterRedis = redisClient(config.redisUrl, redisOutage);
      stops.push(() => void emitterRedis.disconnect());
      const transcripts = new TranscriptSweeper({
        db,
        queues,
        logger,
        templates,
        sandbox,
        supportAddress: config.supportAddress,
        afterSeconds: config.chatTranscriptAfterSeconds,
        sessionIdleDays: config.chatSessionIdleDays,
      });
      transcripts.start();
      stops.push(() => transcripts.stop());
      if (sender) stops.push(() => sender.close());
      else logger.warn('SMTP_URL not set: replies are stored and logged, not sent');
      const workers: Worker[] = startStageWorkers(
        {
          db,
          logger,
          queues,
          templates,
          sandbox,
          parser,
          triageConfig,
          now: options.now,
          transport: sender,
          chat: new ChatDelivery(emitterRedis, config.redisPrefix),
          metrics,
          health,
          redisOutage,
          supportAddress: config.supportAddress,
          attachmentMaxBytes: config.attachmentMaxBytes,
          attachmentsMaxBytesPerMail: config.attachmentsMaxBytesPerMail,
          autoReplyLimitPerHour: config.autoReplyLimitPerHour,
          autoReplyLimitPerHourAll: config.autoReplyLimitPerHourAll,
          authservId: config.authservId,
        },
        { connection, prefix: config.redisPrefix, concurrency: config.workerConcurrency },
      );
      // Workers close first on shutdown (they are pushed last): running jobs finish, waiting ones stay queued.
      if (config.serviceHealthUrl) {
        const health = new HealthPoller({
          db,
          logger,
          baseUrl: config.serviceHealthUrl,
          token: config.serviceHealthToken,
          everySeconds: config.serviceHealthPollSeconds,
          onImported: () => triageConfig.invalidate(),
        });
        health.start();
        stops.push(() => health.stop());
      }
      const sweeper = new RecoverySweeper(db, queues, logger);
      sweeper.start();
      stops.push(() => sweeper.stop());
      stops.push(async () => {
        await Promise.all(workers.map((w) => w.close()));
      });
    }

    if ((role === 'all' || role === 'intake') && config.imap) {
      const intake = new ImapIntake({
        settings: config.imap,
        db,
        redis,
        redisPrefix: config.redisPrefix,
        queues,
        logger,
        health,
        pollSeconds: config.imapPollSeconds,
        stallSeconds: config.imapStallSeconds,
        fetchBatch: config.imapFetchBatch,
        mailMaxBytes: config.mailMaxBytes,
        onFetched: (n) => metrics.intake.inc({ channel: 'email', outcome: 'fetched' }, n),
      });
      intake.start();
      stops.push(() => intake.stop());
    } else if (role === 'all' || role === 'intake') {
      logger.info('IMAP_URL not set: email intake is off');
    }

    let stopped: Promise<void> | null = null;
    return {
      url,
      db,
      routes: app ? registeredRoutes(app) : [],
      stop: () => {
        stopped ??= stopAll();
        return stopped;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
