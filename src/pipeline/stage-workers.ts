import { type ConnectionOptions, type Job, UnrecoverableError, Worker } from 'bullmq';
import { ingestRawMail } from '../cases/ingest-mail.js';
import { quarantineRawMail } from '../cases/quarantine.js';
import type { MailParser } from '../channels/email/parse-pool.js';
import { SmtpPermanentError } from '../channels/email/smtp-sender.js';
import type { Db } from '../db/database.js';
import type { HealthBoard } from '../health.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { type JobPayloads, type QueueName, type Queues, queueNames } from '../queues.js';
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
  /** Where the relay's state is reported for /readyz. */
  health?: HealthBoard;
  supportAddress: string;
  attachmentMaxBytes: number;
  /** All attachments of one mail together (ATTACHMENTS_MAX_BYTES_PER_MAIL). */
  attachmentsMaxBytesPerMail?: number;
  autoReplyLimitPerHour: number;
  triageConfig: TriageConfig;
  now?: () => Date;
  chat?: SendOutboxDeps['chat'];
}

type Handler<Q extends QueueName> = (payload: JobPayloads[Q], job: Job, log: Logger) => Promise<unknown>;

function handlers(deps: StageDeps): { [Q in QueueName]: Handler<Q> } {
  return {
    async ingest({ rawMailId }, job, log) {
      try {
        const result = await ingestRawMail({ ...deps, logger: log }, rawMailId);
        deps.metrics.intake.inc({ channel: 'email', outcome: result.outcome });
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
          if (kept) deps.metrics.intake.inc({ channel: 'email', outcome: 'quarantined' });
        }
        throw err;
      }
    },
    async triage({ caseId, messageId }, _job, log) {
      const result = await triageMessage({ ...deps, logger: log }, caseId, messageId);
      log.info({ caseNumber: result.caseNumber, replies: result.outboxIds.length }, 'message triaged');
      await deps.queues.addBulk(
        'outbound',
        result.outboxIds.map((outboxId) => ({ outboxId })),
      );
      return result.outboxIds.length;
    },
    async outbound({ outboxId }, job, log) {
      try {
        const { outcome, triggerAt } = await sendOutbox({ ...deps, logger: log }, outboxId);
        if (triggerAt) deps.metrics.replyLatency.observe((Date.now() - new Date(triggerAt).getTime()) / 1000);
        return outcome;
      } catch (err) {
        // The relay refusing the message for good fails it at once, an error that keeps coming after the
        // last retry fails it then; a relay or database away for a while leaves the row as it is, and the
        // recovery sweeper retries the job once its attempts are used up.
        const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        if (err instanceof SmtpPermanentError || (last && !isTransient(err))) {
          await markOutboxFailed(deps.db, outboxId, String((err as Error).message));
          if (err instanceof SmtpPermanentError) throw new UnrecoverableError(err.message);
        }
        throw err;
      }
    },
  };
}

export interface StageWorkersProps {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
}

/** One BullMQ worker per queue. Every queue must have a handler; the type map and this check make sure. */
export function startStageWorkers(deps: StageDeps, props: StageWorkersProps): Worker[] {
  const table = handlers(deps);
  return Object.values(queueNames).map((name) => {
    const handler = table[name] as Handler<QueueName> | undefined;
    if (!handler) throw new Error(`no handler for queue ${name}`);
    const worker = new Worker(
      name,
      async (job: Job) => {
        const log = deps.logger.child({ component: `${name}-worker`, jobId: job.id });
        return handler(job.data as never, job, log);
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
    worker.on('error', (err) => deps.logger.error({ component: `${name}-worker`, err }, 'worker error'));
    return worker;
  });
}
