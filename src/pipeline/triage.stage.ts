import { enqueueSends } from '../replies/outbox.js';
import { triageMessage } from '../triage/triage-message.js';
import type { StageDeps, StageHandler } from './stage-deps.js';

/** Triages one stored message and queues the sends of the replies it wrote to the outbox. */
export function triageStage(deps: StageDeps): StageHandler<'triage'> {
  return async ({ caseId, messageId }, _job, log) => {
    const result = await triageMessage({ ...deps, logger: log }, caseId, messageId);
    log.info({ caseNumber: result.caseNumber, replies: result.outboxIds.length }, 'message triaged');
    await enqueueSends(deps.queues, result.outboxIds);
    return result.outboxIds.length;
  };
}
