import { createHash } from 'node:crypto';
import type { Job, Queue, Worker } from 'bullmq';

// The queue contract in one place: each queue carries one job name with one payload type and one result.
// Payloads carry ids only; everything else is read from Postgres by the consumer. Work that comes in batches
// (the mails of one IMAP fetch, the messages they became, the replies triage wrote for them) travels as one
// job per batch; a single item (a chat line, a retry, the recovery sweeper's find) as one job of its own.

export const queueNames = {
  ingest: 'ingest',
  triage: 'triage',
  outbound: 'outbound',
} as const;
export type QueueName = (typeof queueNames)[keyof typeof queueNames];

export type TriageItem = { caseId: string; messageId: string };

export interface JobPayloads {
  ingest: { rawMailId: string } | { rawMailIds: string[] };
  triage: TriageItem | { messages: TriageItem[] };
  outbound: { outboxId: string } | { outboxIds: string[] };
}

/** The payload for one or several items: a single item keeps the one-item shape (and its job id). */
export const payloadOf = {
  ingest: (ids: readonly string[]): JobPayloads['ingest'] =>
    ids.length === 1 ? { rawMailId: ids[0]! } : { rawMailIds: [...ids] },
  triage: (items: readonly TriageItem[]): JobPayloads['triage'] =>
    items.length === 1 ? { ...items[0]! } : { messages: [...items] },
  outbound: (ids: readonly string[]): JobPayloads['outbound'] =>
    ids.length === 1 ? { outboxId: ids[0]! } : { outboxIds: [...ids] },
};

/** The items a payload names, whichever shape it has. */
export const itemsOf = {
  ingest: (p: JobPayloads['ingest']): string[] => ('rawMailIds' in p ? p.rawMailIds : [p.rawMailId]),
  triage: (p: JobPayloads['triage']): TriageItem[] =>
    'messages' in p ? p.messages : [{ caseId: p.caseId, messageId: p.messageId }],
  outbound: (p: JobPayloads['outbound']): string[] => ('outboxIds' in p ? p.outboxIds : [p.outboxId]),
};

/** What each stage's job returns: the ingest and send outcome, the number of replies triage queued. */
export interface JobResults {
  ingest: string;
  triage: number;
  outbound: string;
}

// BullMQ's Queue derives its data, result and name types from the first three through conditional types
// (a job type may stand in for the data); they are given again so that they stay plain for a generic queue
// name, where a conditional type would be left unresolved.
export type StageQueue<Q extends QueueName> = Queue<
  JobPayloads[Q],
  JobResults[Q],
  Q,
  JobPayloads[Q],
  JobResults[Q],
  Q
>;
/** Any one of the stage queues, for what treats them all alike (closing, counting). */
export type SomeStageQueue = { [Q in QueueName]: StageQueue<Q> }[QueueName];
export type StageJob<Q extends QueueName> = Job<JobPayloads[Q], JobResults[Q], Q>;
export type StageWorker<Q extends QueueName> = Worker<JobPayloads[Q], JobResults[Q], Q>;
export type SomeStageWorker = { [Q in QueueName]: StageWorker<Q> }[QueueName];

// Annotated as a mapped type (not `satisfies`), so that indexing it with a generic queue name keeps the
// payload of that queue and a caller needs no cast.
const jobIds: { [Q in QueueName]: (p: JobPayloads[Q]) => string } = {
  ingest: (p) => ('rawMailIds' in p ? batchId('raws', p.rawMailIds) : `raw-${p.rawMailId}`),
  triage: (p) =>
    'messages' in p
      ? batchId(
          'msgs',
          p.messages.map((m) => m.messageId),
        )
      : `msg-${p.messageId}`,
  outbound: (p) => ('outboxIds' in p ? batchId('outs', p.outboxIds) : `out-${p.outboxId}`),
};

/** A batch's id: its size and a digest of its items, so the same batch enqueued twice is one job. */
function batchId(kind: string, ids: readonly string[]): string {
  const digest = createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 20);
  return `${kind}-${ids.length}-${digest}`;
}

/** Deterministic job ids, so that a repeated enqueue of the same thing is one job. BullMQ ids must not hold ':'. */
export function jobIdOf<Q extends QueueName>(queue: Q, payload: JobPayloads[Q]): string {
  return jobIds[queue](payload);
}
