import { ChatDelivery } from '../channels/chat/chat-delivery.js';
import { TranscriptSweeper } from '../channels/chat/transcript-sweeper.js';
import { createMailParser, type MailParser } from '../channels/email/parse-pool.js';
import { SmtpSender } from '../channels/email/smtp-sender.js';
import { GraphSender } from '../channels/graph/graph-sender.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { MailboxSenders } from '../mailboxes/mailbox-senders.js';
import { exchangeScope } from '../microsoft/entra-tokens.js';
import type { SomeStageWorker } from '../pipeline/queue-contract.js';
import { RecoverySweeper } from '../pipeline/recovery-sweeper.js';
import { startStageWorkers } from '../pipeline/stage-workers.js';
import { redisClient } from '../redis-connection.js';
import { RenderSandbox } from '../replies/render-sandbox.js';
import type { MailTransport } from '../replies/send-outbox.js';
import { TemplateStore } from '../replies/template-store.js';
import { HealthPoller, serviceHealthSource } from '../triage/graph-health-import.js';
import type { SharedServices } from './shared-services.js';
import type { ShutdownStack } from './shutdown-stack.js';

export interface WorkerRoleOptions {
  /** The clock triage reads (business hours, due times); tests set it, production leaves it. */
  now?: () => Date;
}

/** Sends replies by mail, and lets its connections go on shutdown. */
type MailSender = MailTransport & { close(): void };

/** What the stage workers render and send with, besides the shared services. */
interface ReplyTools {
  sandbox: RenderSandbox;
  parser: MailParser;
  templates: TemplateStore;
  sender?: MailSender;
  chat: ChatDelivery;
  routes: MailboxSenders;
}

/**
 * The worker role: the stage workers, the chat transcript sweeper, the service-health poller and the
 * recovery sweeper. The workers are pushed last, so they close first on shutdown: running jobs finish,
 * waiting ones stay queued.
 */
export function startWorkerRole(
  shared: SharedServices,
  config: Config,
  logger: Logger,
  stops: ShutdownStack,
  options: WorkerRoleOptions = {},
): void {
  const { db, queues } = shared;
  const sandbox = new RenderSandbox();
  const parser = createMailParser({ threads: config.mailParseThreads });
  stops.push(() => parser.close());
  const templates = new TemplateStore(db);
  stops.push(() => sandbox.close());
  const sender = mailSender(shared, config);
  const emitterRedis = redisClient(config.redisUrl, shared.redisOutage);
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
  else logger.warn('SMTP_URL (or GRAPH_MAILBOX) not set: replies are stored and logged, not sent');
  const chat = new ChatDelivery(emitterRedis, config.redisPrefix);
  // Replies on cases that came in through a mailbox an admin added go out through that mailbox.
  const routes = new MailboxSenders(shared, config, logger);
  stops.push(() => routes.close());
  const tools: ReplyTools = { sandbox, parser, templates, sender, chat, routes };
  const workers = startWorkers(shared, config, logger, tools, options);
  startHealthPoller(shared, config, logger, stops);
  const sweeper = new RecoverySweeper(db, queues, logger);
  sweeper.start();
  stops.push(() => sweeper.stop());
  stops.push(async () => {
    await Promise.all(workers.map((w) => w.close()));
  });
}

/** Replies go out through Graph for GRAPH_MAILBOX, through the relay of SMTP_URL, or nowhere (logged). */
function mailSender(shared: SharedServices, config: Config): MailSender | undefined {
  const support = { address: config.supportAddress, name: config.supportName };
  if (config.graphMailbox && shared.graph)
    return new GraphSender(shared.graph, config.graphMailbox.address, support);
  return config.smtp ? new SmtpSender(config.smtp, support, shared.entra?.source(exchangeScope)) : undefined;
}

function startWorkers(
  shared: SharedServices,
  config: Config,
  logger: Logger,
  tools: ReplyTools,
  options: WorkerRoleOptions,
): SomeStageWorker[] {
  return startStageWorkers(
    {
      db: shared.db,
      logger,
      queues: shared.queues,
      templates: tools.templates,
      sandbox: tools.sandbox,
      parser: tools.parser,
      triageConfig: shared.triageConfig,
      now: options.now,
      transport: tools.sender,
      routes: tools.routes,
      chat: tools.chat,
      metrics: shared.metrics,
      health: shared.health,
      relayPart: config.graphMailbox ? 'graph_send' : 'smtp',
      redisOutage: shared.redisOutage,
      supportAddress: config.supportAddress,
      attachmentMaxBytes: config.attachmentMaxBytes,
      attachmentsMaxBytesPerMail: config.attachmentsMaxBytesPerMail,
      autoReplyLimitPerHour: config.autoReplyLimitPerHour,
      autoReplyLimitPerHourAll: config.autoReplyLimitPerHourAll,
      authservId: config.authservId,
      replyKeys: shared.secrets.secretKeys,
      replyTokenDays: config.agentReplyTokenDays,
    },
    { connection: shared.connection, prefix: config.redisPrefix, concurrency: config.workerConcurrency },
  );
}

/**
 * Imports the service-health feed so that triage sees current incidents: from SERVICE_HEALTH_URL, or from
 * Microsoft Graph when an Entra app is configured; off without either.
 */
function startHealthPoller(
  shared: SharedServices,
  config: Config,
  logger: Logger,
  stops: ShutdownStack,
): void {
  // SERVICE_HEALTH_URL with its token, or Graph itself with the Entra app's own token (ServiceHealth.Read.All).
  const source = serviceHealthSource(config, shared.entra);
  if (!source) return;
  const poller = new HealthPoller({
    db: shared.db,
    logger,
    ...source,
    health: shared.health,
    everySeconds: config.serviceHealthPollSeconds,
    onImported: () => shared.triageConfig.invalidate(),
  });
  poller.start();
  stops.push(() => poller.stop());
}
