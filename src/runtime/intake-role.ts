import { ImapIntake } from '../channels/email/imap-intake.js';
import { GraphIntake } from '../channels/graph/graph-intake.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { MailboxSupervisor } from '../mailboxes/mailbox-supervisor.js';
import { exchangeScope } from '../microsoft/entra-tokens.js';
import type { SharedServices } from './shared-services.js';
import type { ShutdownStack } from './shutdown-stack.js';

/** The intake role: pulls the mailbox into raw mails and queues their ingest; off without a mailbox. */
export function startIntakeRole(
  shared: SharedServices,
  config: Config,
  logger: Logger,
  stops: ShutdownStack,
): void {
  // The mailboxes admins added, each with an intake of its own.
  const supervisor = new MailboxSupervisor(shared, config, logger);
  supervisor.start();
  stops.push(() => supervisor.stop());
  if (config.graphMailbox && shared.graph) {
    startGraphIntake(shared, config, logger, stops);
    return;
  }
  if (!config.imap) {
    logger.info(
      'IMAP_URL not set: the environment has no mailbox (mailboxes added through /api/mailboxes are read)',
    );
    return;
  }
  const { metrics } = shared;
  const intake = new ImapIntake({
    settings: config.imap,
    db: shared.db,
    redis: shared.redis,
    redisPrefix: config.redisPrefix,
    queues: shared.queues,
    logger,
    health: shared.health,
    pollSeconds: config.imapPollSeconds,
    stallSeconds: config.imapStallSeconds,
    fetchBatch: config.imapFetchBatch,
    mailMaxBytes: config.mailMaxBytes,
    onFetched: (n) => metrics.intake.inc({ channel: 'email', outcome: 'fetched' }, n),
    onFailure: (code) => metrics.mailboxFailures.inc({ kind: 'imap', code }),
    tokens: shared.entra?.source(exchangeScope),
  });
  intake.start();
  stops.push(() => intake.stop());
}

/** GRAPH_MAILBOX: the inbox read by Graph delta queries. */
function startGraphIntake(
  shared: SharedServices,
  config: Config,
  logger: Logger,
  stops: ShutdownStack,
): void {
  const { metrics } = shared;
  const intake = new GraphIntake({
    settings: config.graphMailbox!,
    db: shared.db,
    redis: shared.redis,
    redisPrefix: config.redisPrefix,
    queues: shared.queues,
    logger,
    client: shared.graph!,
    mailMaxBytes: config.mailMaxBytes,
    health: shared.health,
    onFetched: (n) => metrics.intake.inc({ channel: 'email', outcome: 'fetched' }, n),
    onFailure: (code) => metrics.mailboxFailures.inc({ kind: 'graph', code }),
  });
  shared.graph!.onThrottled((ms) => intake.throttled(ms));
  intake.start();
  stops.push(() => intake.stop());
}
