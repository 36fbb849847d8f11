import { connect } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { type ApiPrincipal, bearerAuth } from './admin/api-auth.js';
import { caseRoutes } from './admin/case-routes.js';
import { chatSettingsRoutes } from './admin/chat-settings-routes.js';
import { customerRoutes } from './admin/customer-routes.js';
import { installErrorHandler } from './admin/http-error.js';
import { incidentRoutes } from './admin/incident-routes.js';
import { planRoutes } from './admin/plan-routes.js';
import { quarantineRoutes } from './admin/quarantine-routes.js';
import { replyRoutes } from './admin/reply-routes.js';
import { ruleRoutes } from './admin/rule-routes.js';
import { sendRoutes } from './admin/send-routes.js';
import { chatPageRoutes } from './channels/chat/page-routes.js';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { HealthBoard } from './health.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Queues } from './queues.js';
import type { Secrets } from './secrets.js';
import type { TriageConfig } from './triage/triage-config.js';

export interface ServerDeps {
  config: Config;
  db: Db;
  redis: Redis;
  queues: Queues;
  metrics: Metrics;
  logger: Logger;
  triageConfig: TriageConfig;
  secrets: Secrets;
  health: HealthBoard;
}

function tcpReachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let t: NodeJS.Timeout | undefined;
  const timer = new Promise<'timeout'>((resolve) => {
    t = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([p, timer]);
  } finally {
    clearTimeout(t);
  }
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Request lines are debug noise; errors still log at their own level.
    loggerInstance: deps.logger.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    bodyLimit: 1_048_576,
  }) as unknown as FastifyInstance;
  installErrorHandler(app);

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    // Each part is named with a short state; a driver's own error text (host names, users) never leaves.
    const checks: Record<string, string> = {};
    const [db, redis] = await Promise.all([
      withTimeout(
        sql`select 1`.execute(deps.db).then(
          () => 'ok',
          () => 'unreachable',
        ),
        3000,
      ),
      withTimeout(
        deps.redis.ping().then(
          () => 'ok',
          () => 'unreachable',
        ),
        3000,
      ),
    ]);
    checks.postgres = db;
    checks.redis = redis;
    // What the intake and worker processes reported (mailbox logins, the relay), wherever they run.
    if (redis === 'ok') {
      const parts = await withTimeout(deps.health.read(), 3000).catch(() => 'timeout' as const);
      if (parts !== 'timeout') for (const [part, h] of Object.entries(parts)) checks[part] = h.state;
    }
    const imap = deps.config.imap;
    if (imap && !checks.imap && !(await tcpReachable(imap.host, imap.port, 3000)))
      checks.imap = 'unreachable';
    const ok = Object.values(checks).every((v) => v === 'ok');
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', checks });
  });

  app.get('/metrics', async (_req, reply) => {
    for (const q of deps.queues.all()) {
      const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed');
      for (const [state, n] of Object.entries(counts))
        deps.metrics.queueDepth.set({ queue: q.name, state }, n);
    }
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  const authenticate = bearerAuth(deps.config.adminApiToken);
  const principals = new WeakMap<object, ApiPrincipal>();
  app.addHook('onRequest', async (req) => {
    if (req.url === '/api' || req.url.startsWith('/api/')) principals.set(req, await authenticate(req));
  });
  const principal = (req: unknown): ApiPrincipal =>
    principals.get(req as object) ?? { actor: 'unknown', role: 'agent' };

  planRoutes(app, deps.db, principal);
  customerRoutes(app, deps.db, principal);
  caseRoutes(app, deps.db);
  quarantineRoutes(app, deps.db, deps.queues, principal);
  sendRoutes(app, deps.db, deps.queues, principal);
  replyRoutes(app, deps.db, deps.queues, deps.config.supportAddress, principal);
  chatPageRoutes(app, deps.config, deps.secrets);
  chatSettingsRoutes(app, deps.config, deps.secrets, principal);
  ruleRoutes(app, deps.db, deps.triageConfig, principal);
  incidentRoutes(app, deps.db, deps.triageConfig, principal, {
    baseUrl: deps.config.serviceHealthUrl,
    token: deps.config.serviceHealthToken,
  });
  return app;
}
