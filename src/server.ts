import { connect } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { agentMailRoutes } from './admin/agent-mail-routes.js';
import { agentRoutes } from './admin/agent-routes.js';
import { bearerAuth } from './admin/api-auth.js';
import { registerApiScope } from './admin/api-scope.js';
import { auditRoutes } from './admin/audit-routes.js';
import { caseCommandRoutes } from './admin/case-command-routes.js';
import { caseRoutes } from './admin/case-routes.js';
import { chatSettingsRoutes } from './admin/chat-settings-routes.js';
import { customerRoutes } from './admin/customer-routes.js';
import { HttpError, installErrorHandler } from './admin/http-error.js';
import { incidentRoutes } from './admin/incident-routes.js';
import { mailboxRoutes } from './admin/mailbox-routes.js';
import { openApiRoutes } from './admin/openapi.js';
import { planRoutes } from './admin/plan-routes.js';
import { quarantineRoutes } from './admin/quarantine-routes.js';
import { registerQueueBoard } from './admin/queue-board.js';
import { ruleRoutes } from './admin/rule-routes.js';
import { sendRoutes } from './admin/send-routes.js';
import { registerSessions, sessionPrincipal, signInRoutes } from './admin/sign-in.js';
import { templateRoutes } from './admin/template-routes.js';
import { trailRoutes } from './admin/trail-routes.js';
import { triageLearningRoutes } from './admin/triage-learning-routes.js';
import { adminWebRoutes } from './admin/web/web-routes.js';
import type { ChatIdentitySecret } from './channels/chat/identity-secret.js';
import { chatPageRoutes } from './channels/chat/page-routes.js';
import { trustedProxies } from './client-address.js';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { HealthBoard } from './health.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { EntraTokens } from './microsoft/entra-tokens.js';
import type { Queues } from './pipeline/queues.js';
import type { RenderSandbox } from './replies/render-sandbox.js';
import type { TemplateStore } from './replies/template-store.js';
import type { Secrets } from './secrets.js';
import { serviceHealthSource } from './triage/graph-health-import.js';
import type { Judges } from './triage/judge-threads.js';
import type { TriageConfig } from './triage/triage-config.js';

export interface ServerDeps {
  config: Config;
  /** What the case commands of the API render with (an escalation mail to a provider). */
  replyTools: { templates: TemplateStore; sandbox: RenderSandbox };
  db: Db;
  redis: Redis;
  queues: Queues;
  metrics: Metrics;
  logger: Logger;
  triageConfig: TriageConfig;
  /** Where a rule dry run classifies (dry-run threads); the calling thread when absent. */
  judges?: Judges;
  secrets: Secrets;
  /** The chat identity key: read per handshake, rotatable by an admin. */
  chatIdentity: ChatIdentitySecret;
  health: HealthBoard;
  /** The Entra app's tokens (MS_*), for the service-health import from Graph. */
  entra?: EntraTokens;
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

export interface RouteSummary {
  method: string;
  url: string;
}

const routeLists = new WeakMap<object, RouteSummary[]>();

/** Parts /readyz names without letting them decide readiness. */
const informativeParts = new Set(['service_health']);
/** States /readyz names without letting them decide readiness. */
const informativeStates = new Set(['throttled', 'relay_throttled']);

/** Every route the server registered (for the test that walks them all without a token). */
export function registeredRoutes(app: FastifyInstance): RouteSummary[] {
  return routeLists.get(app) ?? [];
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Request lines are debug noise; errors still log at their own level.
    loggerInstance: deps.logger.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    bodyLimit: 1_048_576,
    // Behind a load balancer, req.ip (logs, limits) is the client the trusted proxies name.
    trustProxy: deps.config.trustProxy === false ? false : trustedProxies(deps.config.trustProxy),
  });
  installErrorHandler(app, apiAuthentication(deps));
  const routes: RouteSummary[] = [];
  routeLists.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url ?? r.path });
  });

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
    // A probe that did not answer in time is as unreachable as one that failed.
    checks.postgres = db === 'ok' ? 'ok' : 'unreachable';
    checks.redis = redis === 'ok' ? 'ok' : 'unreachable';
    // What the intake and worker processes reported (mailbox logins, the relay), wherever they run.
    if (checks.redis === 'ok') {
      const parts = await withTimeout(deps.health.read(), 3000).catch(() => 'timeout' as const);
      if (parts !== 'timeout') for (const [part, h] of Object.entries(parts)) checks[part] = h.state;
    }
    const imap = deps.config.imap;
    if (imap && !checks.imap && !(await tcpReachable(imap.host, imap.port, 3000)))
      checks.imap = 'unreachable';
    // Named, but not a reason to take the process out of service: the incident import can fail for hours
    // (a permission not yet granted) while mail and chat work.
    // Throttling slows a mailbox down without stopping it: named, not a reason to be out of service.
    const ok = Object.entries(checks).every(
      ([part, v]) => v === 'ok' || informativeParts.has(part) || informativeStates.has(v),
    );
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

  chatPageRoutes(app, deps.config, deps.chatIdentity);
  const signIn = {
    db: deps.db,
    redis: deps.redis,
    redisPrefix: deps.config.redisPrefix,
    secretKey: deps.secrets.secretKey,
  };
  await registerSessions(app, signIn);
  signInRoutes(app, signIn);
  await registerQueueBoard(app, deps.queues, deps.db);
  adminWebRoutes(app, deps.db);
  await apiRoutes(app, deps, routes);
  return app;
}

// What an agent (not an admin) may call: the cases, and working them. Named by the route the router matched.
const agentCaseRoutes = new Set([
  'GET /api/cases',
  'GET /api/cases/:number',
  'PATCH /api/cases/:number',
  'POST /api/cases/:number/replies',
]);
const agentMay = (req: FastifyRequest) =>
  agentCaseRoutes.has(`${req.method === 'HEAD' ? 'GET' : req.method} ${req.routeOptions.url}`);

/** A bearer token when the request carries one, else the admin session (state changes with its CSRF token). */
function apiAuthentication(deps: ServerDeps) {
  const bearer = bearerAuth(deps.config.adminApiToken);
  return async (req: FastifyRequest) => {
    if (req.headers.authorization) return bearer(req);
    const session = await sessionPrincipal(deps.db, req, agentMay);
    if (session) return session;
    throw new HttpError(
      401,
      'unauthorized',
      'missing bearer token (Authorization: Bearer <token>) or session',
    );
  };
}

/** Every /api route, inside the one authenticated scope. */
async function apiRoutes(app: FastifyInstance, deps: ServerDeps, routes: readonly RouteSummary[]) {
  await registerApiScope(app, {
    authenticate: apiAuthentication(deps),
    routes(api, principal) {
      planRoutes(api, deps.db, principal);
      customerRoutes(api, deps.db, principal);
      agentRoutes(api, deps.db, principal);
      agentMailRoutes(api, deps.db, principal);
      caseRoutes(api, deps.db, principal);
      auditRoutes(api, deps.db, principal);
      trailRoutes(api, deps.db, deps.config.supportAddress, principal);
      templateRoutes(
        api,
        { db: deps.db, supportAddress: deps.config.supportAddress, ...deps.replyTools },
        principal,
      );
      caseCommandRoutes(
        api,
        {
          db: deps.db,
          logger: deps.logger,
          queues: deps.queues,
          supportAddress: deps.config.supportAddress,
          ...deps.replyTools,
        },
        principal,
      );
      quarantineRoutes(api, deps.db, deps.queues, principal);
      mailboxRoutes(api, {
        db: deps.db,
        config: deps.config,
        health: deps.health,
        sealKeys: () => deps.secrets.sealKeys,
        principal,
      });
      sendRoutes(api, deps.db, deps.queues, principal);
      chatSettingsRoutes(api, { db: deps.db, config: deps.config, identity: deps.chatIdentity }, principal);
      openApiRoutes(api, routes);
      ruleRoutes(api, deps.db, deps.triageConfig, principal, deps.judges);
      triageLearningRoutes(api, { db: deps.db, triageConfig: deps.triageConfig, principal });
      incidentRoutes(
        api,
        deps.db,
        deps.triageConfig,
        principal,
        serviceHealthSource(deps.config, deps.entra),
      );
    },
  });
}
