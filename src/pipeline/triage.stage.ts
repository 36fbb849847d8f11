import { enqueueSends } from '../replies/outbox.js';
import { type TriageResult, triageMessages } from '../triage/triage-message.js';
import { itemsOf } from './queue-contract.js';
import type { StageDeps, StageHandler } from './stage-deps.js';

/**
 * Triages the stored messages of a job (one, or a fetch batch's) and queues the sends of the replies written
 * for them, as one outbound job.
 */
export function triageStage(deps: StageDeps): StageHandler<'triage'> {
  return async (payload, _job, log) => {
    const items = itemsOf.triage(payload);
    let results: Map<string, TriageResult>;
    try {
      results = await triageMessages({ ...deps, logger: log }, items);
    } catch (err) {
      if (items.length === 1) throw err;
      // One message that fails (a template that will not render, say) must not hold up the others: each
      // gets a job of its own. A message triaged already answers with its sends still waiting.
      log.warn({ err, messages: items.length }, 'triage batch failed; its messages are retried on their own');
      await deps.queues.requeue('triage', items);
      return 0;
    }
    // A message not found (its case deleted, or not yet visible) fails the job so that it is tried again;
    // in a batch, it gets a job of its own and the others go on.
    const missing = items.filter((i) => !results.has(i.messageId));
    if (missing.length === items.length) throw new Error(`message ${missing[0]?.messageId} not found`);
    if (missing.length) await deps.queues.requeue('triage', missing);
    const outboxIds = [...results.values()].flatMap((r) => r.outboxIds);
    for (const r of results.values())
      log.info({ caseNumber: r.caseNumber, replies: r.outboxIds.length }, 'message triaged');
    await enqueueSends(deps.queues, outboxIds);
    return outboxIds.length;
  };
}
