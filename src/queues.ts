import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq';

// The queue contract in one place: each queue carries one job name with one payload type.
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

/** Deterministic job ids, so that a repeated enqueue of the same thing is one job. BullMQ ids must not hold ':'. */
export const jobIds = {
  ingest: (p: JobPayloads['ingest']) => `raw-${p.rawMailId}`,
  triage: (p: JobPayloads['triage']) => `msg-${p.messageId}`,
  outbound: (p: JobPayloads['outbound']) => `out-${p.outboxId}`,
} satisfies { [Q in QueueName]: (p: JobPayloads[Q]) => string };

const defaultJobOptions: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3600, count: 20_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export class Queues {
  private readonly queues: { [Q in QueueName]: Queue };

  constructor(
    connection: ConnectionOptions,
    prefix: string,
    errors?: { reportQueueError(source: string, err: Error): void },
  ) {
    const make = (name: QueueName) => {
      const q = new Queue(name, { connection, prefix, defaultJobOptions });
      q.on('error', (err) => errors?.reportQueueError(`${name}-queue`, err));
      return q;
    };
    this.queues = { ingest: make('ingest'), triage: make('triage'), outbound: make('outbound') };
  }

  async add<Q extends QueueName>(queue: Q, payload: JobPayloads[Q]): Promise<void> {
    const jobId = (jobIds[queue] as (p: JobPayloads[Q]) => string)(payload);
    await this.queues[queue].add(queue, payload, { jobId });
  }

  async addBulk<Q extends QueueName>(queue: Q, payloads: JobPayloads[Q][]): Promise<void> {
    if (!payloads.length) return;
    const toId = jobIds[queue] as (p: JobPayloads[Q]) => string;
    await this.queues[queue].addBulk(
      payloads.map((p) => ({ name: queue, data: p, opts: { jobId: toId(p) } })),
    );
  }

  /**
   * Enqueues work found stuck in Postgres. A job id that still exists is not added again by BullMQ, so a job
   * that failed all its attempts (a database or relay outage) is retried, attempts reset, and one that
   * completed while its row stayed behind is added afresh. Returns how many were revived that way.
   */
  async requeue<Q extends QueueName>(queue: Q, payloads: JobPayloads[Q][]): Promise<number> {
    const toId = jobIds[queue] as (p: JobPayloads[Q]) => string;
    const q = this.queues[queue];
    const missing: JobPayloads[Q][] = [];
    let revived = 0;
    for (const p of payloads) {
      const id = toId(p);
      const state = await q.getJobState(id);
      if (state === 'unknown') missing.push(p);
      else if (state === 'failed') {
        await (await q.getJob(id))?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        revived++;
      } else if (state === 'completed') {
        await q.remove(id);
        missing.push(p);
        revived++;
      }
    }
    await this.addBulk(queue, missing);
    return revived;
  }

  get(queue: QueueName): Queue {
    return this.queues[queue];
  }

  all(): Queue[] {
    return Object.values(this.queues);
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }
}
