import { type ConnectionOptions, DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import { quarantineRawMail } from '../cases/quarantine.js';
import { ingestRawMail } from '../channels/email/mail-ingest.js';
import type { MailParser } from '../channels/email/parse-pool.js';
import { type RelayAnswer, SmtpPermanentError } from '../channels/email/smtp-errors.js';
import type { Db } from '../db/database.js';
import type { HealthBoard } from '../health.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { type JobPayloads, type QueueName, type Queues, queueNames } from '../queues.js';
import type { RedisOutage } from '../redis-outage.js';
import { enqueueSends } from '../replies/outbox.js';
import { RelayGate } from '../replies/relay-gate.js';
import type { RenderSandbox } from '../replies/render-sandbox.js';
import {
  type MailTransport,
  markOutboxFailed,
  type SendOutboxDeps,
  sendOutbox,
} from '../replies/send-outbox.js';
import type { TemplateStore } from '../replies/template-store.js';
import type { TriageConfig } from '../triage/triage-config.js';
import { triageMessage } from '../triage/triage-message.js';
import { isTransient } from './transient.js';

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
  now?: () => Date;
  chat?: SendOutboxDeps['chat'];
}

type Handler<Q extends QueueName> = (
  payload: JobPayloads[Q],
  job: Job,
  log: Logger,
  token: string | undefined,
) => Promise<unknown>;

/** Puts a job back for later without using up one of its attempts. */
async function waitFor(job: Job, token: string | undefined, ms: number): Promise<never> {
  await job.moveToDelayed(Date.now() + ms, token);
  throw new DelayedError();
}

function handlers(deps: StageDeps): { [Q in QueueName]: Handler<Q> } {
  return {
    async ingest({ rawMailId }, job, log) {
      try {
        const result = await ingestRawMail({ ...deps, logger: log }, rawMailId);
        deps.metrics.intake.inc({ channel: 'email', outcome: result.outcome });
        if (result.outcome === 'quarantined') deps.metrics.quarantined.inc({ code: result.code });
        if (result.outcome === 'ingested') {
          log.info({ caseNumber: result.caseNumber, newCase: result.newCase }, 'mail ingested');
          await deps.queues.add('triage', { caseId: result.caseId, messageId: result.messageId });
        }
        return result.outcome;
      } catch (err) {
        // After the last retry a mail that keeps failing is kept whole with the reason, never silently
        // dropped; one that failed because the database was away stays for the recovery sweeper to retry.
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1) && !isTransient(err)) {
          const kept = await quarantineRawMail(
            deps.db,
            rawMailId,
            'ingest_failed',
            String((err as Error).message ?? err),
          );
          if (kept) {
            deps.metrics.intake.inc({ channel: 'email', outcome: 'quarantined' });
            deps.metrics.quarantined.inc({ code: 'ingest_failed' });
          }
        }
        throw err;
      }
    },
    async triage({ caseId, messageId }, _job, log) {
      const result = await triageMessage({ ...deps, logger: log }, caseId, messageId);
      log.info({ caseNumber: result.caseNumber, replies: result.outboxIds.length }, 'message triaged');
      await enqueueSends(deps.queues, result.outboxIds);
      return result.outboxIds.length;
    },
    outbound: outboundHandler(deps),
  };
}

/** Sends one outbox row; waits (without using an attempt) while another claim holds it or the relay is out. */
function outboundHandler(deps: StageDeps): Handler<'outbound'> {
  const relay = new RelayGate({ logger: deps.logger, health: deps.health });
  const transport = deps.transport;
  if (transport?.verify) void relay.check(() => transport.verify?.() ?? Promise.resolve());
  return async ({ outboxId }, job, log, token) => {
    try {
      const { outcome, triggerAt, retryInMs, reply } = await sendOutbox(
        { ...deps, logger: log, relay },
        outboxId,
      );
      if (outcome === 'wait') {
        log.debug({ outboxId, retryInMs }, 'send waits (lease held or relay paused)');
        return await waitFor(job, token, retryInMs ?? 5_000);
      }
      if (triggerAt) deps.metrics.replyLatency.observe((Date.now() - new Date(triggerAt).getTime()) / 1000);
      if (outcome === 'sent' || outcome === 'logged')
        log.info(
          { ...reply, outboxId },
          outcome === 'sent' ? 'reply sent' : 'reply stored, not sent (SMTP_URL not set)',
        );
      return outcome;
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      // The relay refusing this recipient fails the send at once; an error that keeps coming after the
      // last retry fails it then; a database away for a while, or a relay answering "later", leaves the
      // row as it is and the recovery sweeper retries the job once its attempts are used up. A relay
      // outage never gets here: the send waits (see RelayGate).
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (err instanceof SmtpPermanentError || (last && !isTransient(err)))
        await failForGood(deps, log, outboxId, err as Error);
      if (err instanceof SmtpPermanentError) throw new UnrecoverableError(withoutRelayText(err).message);
      throw withoutRelayText(err);
    }
  };
}

/** The job's own failure line names the relay's answer code, not its text (which may hold an address). */
function withoutRelayText(err: unknown): Error {
  const e = err as { answer?: RelayAnswer; code?: unknown };
  if (!e.answer) return err instanceof Error ? err : new Error(String(err));
  return Object.assign(
    new Error(`relay answered ${e.answer.responseCode ?? '-'} to ${e.answer.command ?? '-'}`),
    { code: e.code },
  );
}

/** Marks a send failed, with one log line naming the case and the relay's answer code, and counts it. */
async function failForGood(deps: StageDeps, log: Logger, outboxId: string, err: Error): Promise<void> {
  const reply = await markOutboxFailed(deps.db, outboxId, String(err.message));
  if (!reply) return;
  deps.metrics.sendsFailed.inc({ channel: reply.channel });
  const answer = err instanceof SmtpPermanentError ? err.answer : null;
  log.error(
    {
      ...reply,
      outboxId,
      code: (err as { code?: unknown }).code,
      responseCode: answer?.responseCode ?? null,
      command: answer?.command ?? null,
    },
    'reply failed',
  );
}

export interface StageWorkersProps {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
}

/** One BullMQ worker per queue. Every queue must have a handler; the type map and this check make sure. */
export function startStageWorkers(deps: StageDeps, props: StageWorkersProps): Worker[] {
  const table = handlers(deps);
  const workers = [
    startWorker('ingest', table.ingest, deps, props),
    startWorker('triage', table.triage, deps, props),
    startWorker('outbound', table.outbound, deps, props),
  ];
  const missing = Object.values(queueNames).filter((q) => !workers.some((w) => w.name === q));
  if (missing.length) throw new Error(`no handler for queue ${missing.join(', ')}`);
  return workers;
}

function startWorker<Q extends QueueName>(
  name: Q,
  handler: Handler<Q>,
  deps: StageDeps,
  props: StageWorkersProps,
): Worker<JobPayloads[Q]> {
  const worker = new Worker<JobPayloads[Q]>(
    name,
    async (job, token) => {
      const log = deps.logger.child({ component: `${name}-worker`, jobId: job.id });
      return handler(job.data, job, log, token);
    },
    {
      connection: props.connection,
      prefix: props.prefix,
      concurrency: props.concurrency,
      // A killed process's jobs come back within seconds, not the default half minute.
      lockDuration: 10_000,
      stalledInterval: 5_000,
      maxStalledCount: 5,
    },
  );
  worker.on('failed', (job, err) => {
    deps.logger.warn(
      { component: `${name}-worker`, jobId: job?.id, err: { message: err.message } },
      'job failed',
    );
  });
  worker.on('error', (err) => {
    // A Redis outage is logged once, where the process watches its connections.
    if (deps.redisOutage) deps.redisOutage.reportQueueError(`${name}-worker`, err);
    else deps.logger.error({ component: `${name}-worker`, err }, 'worker error');
  });
  return worker;
}
