import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues } from '../../src/pipeline/queues.js';
import { queueConnection } from '../../src/redis-connection.js';
import { eventually } from '../support/eventually.js';
import { cleanupRedisPrefix, testRedisPrefix } from '../support/redis.js';

// Work stuck in Postgres is re-enqueued by the recovery sweeper with the same job id. A job that used up
// its attempts during an outage must run again then, not be skipped as a duplicate for the next week.

describe('requeue: reviving jobs that gave up', () => {
  const prefix = testRedisPrefix();
  const connection = queueConnection('redis://127.0.0.1:6379');
  let queues: Queues;
  let worker: Worker;
  let outageOver = false;
  const runs: string[] = [];

  beforeAll(async () => {
    queues = new Queues(connection, prefix);
    worker = new Worker(
      'outbound',
      async (job: Job) => {
        runs.push(job.id!);
        if (!outageOver) throw new UnrecoverableError('relay away');
        return 'sent';
      },
      { connection, prefix },
    );
    await worker.waitUntilReady();
  });

  afterAll(async () => {
    await worker?.close();
    await queues?.close();
    await cleanupRedisPrefix(prefix);
  });

  const stateOf = (id: string) => queues.get('outbound').getJobState(id);
  const until = (what: string, check: () => Promise<boolean>) =>
    eventually(check, { timeoutMs: 10_000, what });

  it('retries a failed job, leaves a waiting one alone, and adds a missing one', async () => {
    await queues.add('outbound', { outboxId: '1' });
    await until('the first job to fail', async () => (await stateOf('out-1')) === 'failed');
    // A plain add with the same id does nothing while the failed job is kept.
    await queues.add('outbound', { outboxId: '1' });
    expect(await stateOf('out-1')).toBe('failed');

    outageOver = true;
    const revived = await queues.requeue('outbound', [{ outboxId: '1' }, { outboxId: '2' }]);
    expect(revived).toBe(1);
    await until('both jobs to complete', async () => {
      const states = await Promise.all([stateOf('out-1'), stateOf('out-2')]);
      return states.every((s) => s === 'completed');
    });
    expect(runs.filter((id) => id === 'out-1')).toHaveLength(2);
    expect(runs.filter((id) => id === 'out-2')).toHaveLength(1);
  });
});
