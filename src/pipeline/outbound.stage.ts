import { DelayedError, UnrecoverableError } from 'bullmq';
import { type RelayAnswer, SmtpPermanentError } from '../channels/email/smtp-errors.js';
import { relayConnections } from '../channels/email/smtp-sender.js';
import { concurrencyLimit } from '../concurrency-limit.js';
import type { Logger } from '../logger.js';
import { RelayGate } from '../replies/relay-gate.js';
import {
  claimBatch,
  markOutboxFailed,
  type SendOutcome,
  type SendResult,
  sendOutbox,
} from '../replies/send-outbox.js';
import { itemsOf, type StageJob } from './queue-contract.js';
import type { StageDeps, StageHandler } from './stage-deps.js';
import { isTransient } from './transient.js';

/** Sends of one batch job waiting for their turn at once. */
const batchInFlight = relayConnections;

/**
 * Sends the outbox rows of a job. A batch is claimed in one statement and sent a few side by side; each row
 * that cannot be sent now (another claim holds it, the relay is out or answered "later") is handed to a job
 * of its own that waits and retries. A lone row waits (without using an attempt) while another claim holds
 * it or the relay is out.
 */
export function outboundStage(deps: StageDeps): StageHandler<'outbound'> {
  const relay = new RelayGate({ logger: deps.logger, health: deps.health, healthPart: deps.relayPart });
  const transport = deps.transport;
  if (transport?.verify) void relay.check(() => transport.verify?.() ?? Promise.resolve());
  // No more sends of this process between their first word to the relay and their record than the relay
  // transport has connections: after a crash, no more than that many accepted sends can go out again.
  const inFlight = concurrencyLimit(relayConnections);
  return async (payload, job, log, token) => {
    const ids = [...new Set(itemsOf.outbound(payload))];
    const sendDeps = { ...deps, logger: log, relay };
    if (ids.length === 1) {
      const send = sendOne(deps, (id) => inFlight(() => sendOutbox(sendDeps, id)));
      return sendAlone(deps, send, ids[0]!, job, log, token);
    }
    const batch = await claimBatch(sendDeps, ids);
    try {
      return await sendBatch(
        deps,
        sendOne(deps, (id) => inFlight(() => batch.send(id))),
        ids,
        log,
      );
    } finally {
      batch.end();
    }
  };
}

/** A batch's sends, a few side by side; those that must wait or failed are handed to jobs of their own. */
async function sendBatch(
  deps: StageDeps,
  send: ReturnType<typeof sendOne>,
  ids: readonly string[],
  log: Logger,
): Promise<string> {
  const later = new Map<number, string[]>();
  const putOff = (id: string, ms: number) => later.set(ms, [...(later.get(ms) ?? []), id]);
  let next = 0;
  const lane = async () => {
    for (let k = next++; k < ids.length; k = next++) {
      const id = ids[k]!;
      try {
        const { waitMs } = await send(id, log);
        if (waitMs !== null) putOff(id, waitMs);
      } catch (err) {
        // Every error stays with its send: the other lanes go on, and the batch ends only when all have.
        if (err instanceof SmtpPermanentError && (await failForGood(deps, log, id, err).then(yes, no)))
          continue;
        log.warn({ outboxId: id, err: withoutRelayText(err) }, 'send of a batch failed; retried on its own');
        putOff(id, 1_000);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(batchInFlight, ids.length) }, lane));
  for (const [waitMs, waiting] of later)
    await deps.queues.requeue(
      'outbound',
      waiting.map((outboxId) => ({ outboxId })),
      waitMs,
    );
  return `${ids.length - [...later.values()].flat().length} of ${ids.length} done`;
}

const yes = () => true;
const no = () => false;

/** Sends one row and logs the outcome; `waitMs` says how long to wait before trying again. */
function sendOne(deps: StageDeps, sender: (outboxId: string) => Promise<SendResult>) {
  return async (outboxId: string, log: Logger): Promise<{ outcome: SendOutcome; waitMs: number | null }> => {
    const { outcome, triggerAt, retryInMs, reply } = await sender(outboxId);
    if (outcome === 'wait') {
      log.debug({ outboxId, retryInMs }, 'send waits (lease held or relay paused)');
      return { outcome, waitMs: retryInMs ?? 5_000 };
    }
    if (triggerAt) deps.metrics.replyLatency.observe((Date.now() - new Date(triggerAt).getTime()) / 1000);
    if (outcome === 'sent' || outcome === 'logged')
      log.info(
        { ...reply, outboxId },
        outcome === 'sent' ? 'reply sent' : 'reply stored, not sent (SMTP_URL not set)',
      );
    return { outcome, waitMs: null };
  };
}

async function sendAlone(
  deps: StageDeps,
  send: ReturnType<typeof sendOne>,
  outboxId: string,
  job: StageJob<'outbound'>,
  log: Logger,
  token: string | undefined,
): Promise<string> {
  try {
    const { outcome, waitMs } = await send(outboxId, log);
    if (waitMs !== null) return await waitFor(job, token, waitMs);
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
