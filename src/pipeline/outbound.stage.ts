import { DelayedError, UnrecoverableError } from 'bullmq';
import { type RelayAnswer, SmtpPermanentError } from '../channels/email/smtp-errors.js';
import type { Logger } from '../logger.js';
import { RelayGate } from '../replies/relay-gate.js';
import { markOutboxFailed, sendOutbox } from '../replies/send-outbox.js';
import type { StageJob } from './queue-contract.js';
import type { StageDeps, StageHandler } from './stage-deps.js';
import { isTransient } from './transient.js';

/** Sends one outbox row; waits (without using an attempt) while another claim holds it or the relay is out. */
export function outboundStage(deps: StageDeps): StageHandler<'outbound'> {
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

/** Puts a job back for later without using up one of its attempts. */
async function waitFor(job: StageJob<'outbound'>, token: string | undefined, ms: number): Promise<never> {
  await job.moveToDelayed(Date.now() + ms, token);
  throw new DelayedError();
}
