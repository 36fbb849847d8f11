import type { MailParser } from '../channels/email/parse-pool.js';
import type { Db } from '../db/database.js';
import type { HealthBoard } from '../health.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { RedisOutage } from '../redis-outage.js';
import type { RenderSandbox } from '../replies/render-sandbox.js';
import type { MailTransport, SendOutboxDeps } from '../replies/send-outbox.js';
import type { TemplateStore } from '../replies/template-store.js';
import type { TriageConfig } from '../triage/triage-config.js';
import type { JobPayloads, JobResults, QueueName, StageJob } from './queue-contract.js';
import type { Queues } from './queues.js';

export interface StageDeps {
  db: Db;
  logger: Logger;
  queues: Queues;
  templates: TemplateStore;
  sandbox: RenderSandbox;
  parser?: MailParser;
  transport?: MailTransport;
  metrics: Metrics;
  /** Sorts queue errors: connection errors belong to the outage log line. */
  redisOutage?: Pick<RedisOutage, 'reportQueueError'>;
  /** Where the relay's state is reported for /readyz. */
  health?: HealthBoard;
  /** The transports of mailboxes admins added, by mailbox key. */
  routes?: SendOutboxDeps['routes'];
  /** The part /readyz names for sending: `smtp`, or `graph_send` for a Graph mailbox. */
  relayPart?: string;
  supportAddress: string;
  attachmentMaxBytes: number;
  /** All attachments of one mail together (ATTACHMENTS_MAX_BYTES_PER_MAIL). */
  attachmentsMaxBytesPerMail?: number;
  autoReplyLimitPerHour: number;
  /** Automatic mail replies to all senders together per hour. */
  autoReplyLimitPerHourAll: number;
  /** authserv-id whose Authentication-Results header is believed (AUTHSERV_ID); none when absent. */
  authservId?: string;
  triageConfig: TriageConfig;
  /** Keys that sign and check agents' reply tokens, the signing one first. */
  replyKeys: readonly string[];
  /** How long a notification's reply address works. */
  replyTokenDays: number;
  now?: () => Date;
  chat?: SendOutboxDeps['chat'];
}

/** Handles one job of one queue; the worker wiring gives it a logger named after the queue and job. */
export type StageHandler<Q extends QueueName> = (
  payload: JobPayloads[Q],
  job: StageJob<Q>,
  log: Logger,
  token: string | undefined,
) => Promise<JobResults[Q]>;
