import { type ConnectionOptions, type JobsOptions, Queue } from 'bullmq';
import {
  type JobPayloads,
  jobIdOf,
  type QueueName,
  type SomeStageQueue,
  type StageQueue,
} from './queue-contract.js';

// The stage queues behind one handle: enqueue by queue name with that queue's payload, job ids derived from it.

const defaultJobOptions: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3600, count: 20_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export class Queues {
  private readonly queues: { [Q in QueueName]: StageQueue<Q> };

  constructor(
    connection: ConnectionOptions,
    prefix: string,
    errors?: { reportQueueError(source: string, err: Error): void },
  ) {
    const make = <Q extends QueueName>(name: Q): StageQueue<Q> => {
      const q: StageQueue<Q> = new Queue(name, { connection, prefix, defaultJobOptions });
      q.on('error', (err) => errors?.reportQueueError(`${name}-queue`, err));
      return q;
    };
    this.queues = { ingest: make('ingest'), triage: make('triage'), outbound: make('outbound') };
  }

  async add<Q extends QueueName>(queue: Q, payload: JobPayloads[Q]): Promise<void> {
    await this.get(queue).add(queue, payload, { jobId: jobIdOf(queue, payload) });
  }

  /** Adds jobs; `delayMs` holds them back that long first. */
  async addBulk<Q extends QueueName>(queue: Q, payloads: JobPayloads[Q][], delayMs = 0): Promise<void> {
    if (!payloads.length) return;
    const delay = delayMs > 0 ? { delay: delayMs } : {};
    await this.get(queue).addBulk(
      payloads.map((p) => ({ name: queue, data: p, opts: { jobId: jobIdOf(queue, p), ...delay } })),
    );
  }

  /**
   * Enqueues work found stuck in Postgres. A job id that still exists is not added again by BullMQ, so a job
   * that failed all its attempts (a database or relay outage) is retried, attempts reset, and one that
   * completed while its row stayed behind is added afresh (after `delayMs`, when given). Returns how many were
   * revived that way.
   */
  async requeue<Q extends QueueName>(queue: Q, payloads: JobPayloads[Q][], delayMs = 0): Promise<number> {
    const q = this.get(queue);
    const missing: JobPayloads[Q][] = [];
    let revived = 0;
    for (const p of payloads) {
      const id = jobIdOf(queue, p);
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
    await this.addBulk(queue, missing, delayMs);
    return revived;
  }

  get<Q extends QueueName>(queue: Q): StageQueue<Q> {
    return this.queues[queue];
  }

  all(): SomeStageQueue[] {
    return [this.queues.ingest, this.queues.triage, this.queues.outbound];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }
}
