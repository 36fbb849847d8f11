import type { Job, Queue, Worker } from 'bullmq';

// The queue contract in one place: each queue carries one job name with one payload type and one result.
// Payloads carry ids only; everything else is read from Postgres by the consumer.

export const queueNames = {
  ingest: 'ingest',
  triage: 'triage',
  outbound: 'outbound',
} as const;
export type QueueName = (typeof queueNames)[keyof typeof queueNames];

export interface JobPayloads {
  ingest: { rawMailId: string };
  triage: { caseId: string; messageId: string };
  outbound: { outboxId: string };
}

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
  ingest: (p) => `raw-${p.rawMailId}`,
  triage: (p) => `msg-${p.messageId}`,
  outbound: (p) => `out-${p.outboxId}`,
};

/** Deterministic job ids, so that a repeated enqueue of the same thing is one job. BullMQ ids must not hold ':'. */
export function jobIdOf<Q extends QueueName>(queue: Q, payload: JobPayloads[Q]): string {
  return jobIds[queue](payload);
}
