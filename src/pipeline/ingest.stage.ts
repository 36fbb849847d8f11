import { quarantineRawMail } from '../cases/quarantine.js';
import { ingestRawMail } from '../channels/email/mail-ingest.js';
import type { StageDeps, StageHandler } from './stage-deps.js';
import { isTransient } from './transient.js';

/** Turns one stored raw mail into a case message and queues its triage. */
export function ingestStage(deps: StageDeps): StageHandler<'ingest'> {
  return async ({ rawMailId }, job, log) => {
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
  };
}
