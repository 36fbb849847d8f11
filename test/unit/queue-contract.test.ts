import type { Job, Queue } from 'bullmq';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type JobPayloads, jobIdOf, queueNames } from '../../src/pipeline/queue-contract.js';
import type { Queues } from '../../src/pipeline/queues.js';

// The queue edge is typed end to end: each queue is BullMQ's Queue<Payload, Result, Name> for its own
// stage, so an enqueue with the wrong payload or job name does not compile, and no cast is needed.

describe('queue contract', () => {
  it('types each queue with its own payload, result and job name', () => {
    expectTypeOf<ReturnType<Queues['get']>>().not.toBeAny();
    const outbound = (queues: Queues) => queues.get('outbound');
    expectTypeOf<ReturnType<typeof outbound>>().toEqualTypeOf<
      Queue<{ outboxId: string }, string, 'outbound'>
    >();
    const triage = (queues: Queues) => queues.get('triage');
    type TriageJob = Awaited<ReturnType<ReturnType<typeof triage>['add']>>;
    expectTypeOf<TriageJob>().toEqualTypeOf<Job<{ caseId: string; messageId: string }, number, 'triage'>>();
    // A payload of another queue is refused.
    const wrong = (queues: Queues) =>
      // @ts-expect-error an ingest payload is not a triage payload
      queues.add('triage', { rawMailId: '1' });
    expect(typeof wrong).toBe('function');
  });

  it('derives one deterministic job id per payload, without ":" (BullMQ refuses it)', () => {
    const ids = {
      ingest: jobIdOf('ingest', { rawMailId: '7' }),
      triage: jobIdOf('triage', { caseId: '3', messageId: '9' }),
      outbound: jobIdOf('outbound', { outboxId: '4' }),
    } satisfies Record<keyof JobPayloads, string>;
    expect(ids).toEqual({ ingest: 'raw-7', triage: 'msg-9', outbound: 'out-4' });
    expect(Object.keys(ids).sort()).toEqual(Object.values(queueNames).sort());
    for (const id of Object.values(ids)) expect(id).not.toContain(':');
  });
});
