import type { FastifyInstance } from 'fastify';
import { ensureFirstAdmin } from '../admin/sign-in.js';
import { startChatGateway } from '../channels/chat/gateway.js';
import { ChatIdentitySecret } from '../channels/chat/identity-secret.js';
import { clientAddressOf } from '../client-address.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { RenderSandbox } from '../replies/render-sandbox.js';
import { TemplateStore } from '../replies/template-store.js';
import { buildServer } from '../server.js';
import { createJudges } from '../triage/judge-threads.js';
import type { SharedServices } from './shared-services.js';
import type { ShutdownStack } from './shutdown-stack.js';

export interface HttpRole {
  app: FastifyInstance;
  /** Base URL the server listens on. */
  url: string;
}

/** The api role: the HTTP server (admin API, chat page, health, metrics) and the chat gateway on it. */
export async function startHttpRole(
  shared: SharedServices,
  config: Config,
  logger: Logger,
  stops: ShutdownStack,
): Promise<HttpRole> {
  const { db, redis, queues, metrics, triageConfig, secrets, health } = shared;
  await ensureFirstAdmin(db, config.adminEmail, config.adminPassword);
  // SUPPORT_ADDRESS's display name is the desk's From name until an admin sets one in the support profile.
  if (config.supportName)
    await db
      .updateTable('partner_profile')
      .set({ desk_name: config.supportName })
      .where('id', '=', 1)
      .where('desk_name', '=', '')
      .execute();
  // Started on first use (an API hand-over that mails a provider).
  const chatIdentity = new ChatIdentitySecret(db, config.chatIdentitySecret, secrets.chatIdentitySecret);
  const sandbox = new RenderSandbox();
  stops.push(() => sandbox.close());
  const judges = createJudges({
    threads: config.dryRunThreads,
    onFallback: (err) =>
      logger.warn(
        { err: { message: err.message } },
        'a dry-run thread failed; its share ran on the main thread',
      ),
  });
  stops.push(() => judges.close());
  const app = await buildServer({
    replyTools: { templates: new TemplateStore(db), sandbox },
    config,
    db,
    redis,
    queues,
    metrics,
    logger,
    triageConfig,
    judges,
    secrets,
    chatIdentity,
    health,
    entra: shared.entra,
  });
  const gateway = startChatGateway({
    httpServer: app.server,
    db,
    queues,
    logger,
    redisUrl: config.redisUrl,
    redisPrefix: config.redisPrefix,
    redisWatch: shared.redisOutage,
    secretKey: secrets.secretKey,
    identitySecret: () => chatIdentity.current(),
    allowedOrigins: config.chatAllowedOrigins,
    limits: config.chatLimits,
    clientAddress: clientAddressOf(config.trustProxy),
    sessionTtlSeconds: config.chatSessionIdleDays * 24 * 3600,
  });

  const url = await app.listen({ port: config.port, host: config.host });
  logger.info({ url }, 'http listening');
  stops.push(() => app.close());
  // Pushed after the HTTP server, so it runs before it: fastify's close waits for open websockets.
  stops.push(() => gateway.close());
  return { app, url };
}
