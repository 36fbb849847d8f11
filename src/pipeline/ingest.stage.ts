import { quarantineRawMail } from '../cases/quarantine.js';
import {
  type BatchIngestResult,
  type IngestMailProps,
  ingestRawMail,
  ingestRawMails,
} from '../channels/email/mail-ingest.js';
import type { Logger } from '../logger.js';
import { enqueueSends } from '../replies/outbox.js';
import { itemsOf, payloadOf, type StageJob, type TriageItem } from './queue-contract.js';
import type { StageDeps, StageHandler } from './stage-deps.js';
import { isTransient } from './transient.js';

/**
 * Turns stored raw mails into case messages and queues their triage: a fetch batch as one job (its triage
 * too), a lone mail (a retry, a released or swept mail) as a job of its own.
 */
export function ingestStage(deps: StageDeps): StageHandler<'ingest'> {
  return async (payload, job, log) => {
    const ids = itemsOf.ingest(payload);
    if (ids.length === 1) return ingestOne(deps, ids[0]!, job, log);
    let results: Map<string, BatchIngestResult>;
    try {
      results = await ingestRawMails(ingestProps(deps, log), ids);
    } catch (err) {
      // Whatever broke the batch (the database away, one mail that trips a shared statement), each mail gets
      // a job of its own, with its own attempts and, after the last, quarantine; what was taken is skipped.
      log.warn({ err, mails: ids.length }, 'mail batch failed; its mails are retried on their own');
      await deps.queues.requeue(
        'ingest',
        ids.map((rawMailId) => ({ rawMailId })),
      );
      return `batch failed, ${ids.length} retried on their own`;
    }
    const triage: TriageItem[] = [];
    const retry: string[] = [];
    const sends: string[] = [];
    for (const [rawMailId, result] of results) {
      count(deps, result);
      if (result.outcome === 'ingested') triage.push({ caseId: result.caseId, messageId: result.messageId });
      if (result.outcome === 'agent_mail') sends.push(...result.outboxIds);
      if (result.outcome === 'failed') {
        log.warn({ rawMailId, err: result.error }, 'mail of a batch not taken in; retried on its own');
        retry.push(rawMailId);
      }
    }
    if (triage.length) await deps.queues.add('triage', payloadOf.triage(triage));
    await enqueueSends(deps.queues, sends);
    // Each mail that failed gets a job of its own, with its own attempts and, after the last, quarantine.
    await deps.queues.requeue(
      'ingest',
      retry.map((rawMailId) => ({ rawMailId })),
    );
    log.info({ mails: ids.length, ingested: triage.length, retried: retry.length }, 'mail batch ingested');
    return `${triage.length} of ${ids.length} ingested`;
  };
}

/** What ingest needs of the stage's dependencies, agents' answers included. */
function ingestProps(deps: StageDeps, log: Logger): IngestMailProps {
  return {
    ...deps,
    logger: log,
    agentMail: { replyKeys: deps.replyKeys, templates: deps.templates, sandbox: deps.sandbox, now: deps.now },
  };
}

function count(deps: StageDeps, result: BatchIngestResult): void {
  if (result.outcome === 'failed') return;
  deps.metrics.intake.inc({ channel: 'email', outcome: result.outcome });
  if (result.outcome === 'quarantined') deps.metrics.quarantined.inc({ code: result.code });
}

async function ingestOne(deps: StageDeps, rawMailId: string, job: StageJob<'ingest'>, log: Logger) {
  try {
    const result = await ingestRawMail(ingestProps(deps, log), rawMailId);
    count(deps, result);
    if (result.outcome === 'agent_mail') await enqueueSends(deps.queues, result.outboxIds);
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
}
