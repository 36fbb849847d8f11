import type { Job, Queue } from 'bullmq';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  itemsOf,
  type JobPayloads,
  jobIdOf,
  payloadOf,
  queueNames,
  type TriageItem,
} from '../../src/pipeline/queue-contract.js';
import type { Queues } from '../../src/pipeline/queues.js';

// The queue edge is typed end to end: each queue is BullMQ's Queue<Payload, Result, Name> for its own
// stage, so an enqueue with the wrong payload or job name does not compile, and no cast is needed.

describe('queue contract', () => {
  it('types each queue with its own payload, result and job name', () => {
    expectTypeOf<ReturnType<Queues['get']>>().not.toBeAny();
    const outbound = (queues: Queues) => queues.get('outbound');
    expectTypeOf<ReturnType<typeof outbound>>().toEqualTypeOf<
      Queue<{ outboxId: string } | { outboxIds: string[] }, string, 'outbound'>
    >();
    const triage = (queues: Queues) => queues.get('triage');
    type TriageJob = Awaited<ReturnType<ReturnType<typeof triage>['add']>>;
    expectTypeOf<TriageJob>().toEqualTypeOf<Job<TriageItem | { messages: TriageItem[] }, number, 'triage'>>();
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

  it('gives a batch one job id from its items, and keeps the one-item shape and id for a lone item', () => {
    const batch = payloadOf.ingest(['7', '8', '9']);
    expect(batch).toEqual({ rawMailIds: ['7', '8', '9'] });
    expect(itemsOf.ingest(batch)).toEqual(['7', '8', '9']);
    expect(payloadOf.ingest(['7'])).toEqual({ rawMailId: '7' });
    expect(jobIdOf('ingest', payloadOf.ingest(['7']))).toBe('raw-7');
    const id = jobIdOf('ingest', batch);
    expect(id).toMatch(/^raws-3-[0-9a-f]{20}$/);
    expect(jobIdOf('ingest', payloadOf.ingest(['7', '8', '9']))).toBe(id);
    expect(jobIdOf('ingest', payloadOf.ingest(['7', '8', '10']))).not.toBe(id);
    const sends = payloadOf.outbound(['1', '2']);
    expect(itemsOf.outbound(sends)).toEqual(['1', '2']);
    expect(jobIdOf('outbound', sends)).toMatch(/^outs-2-/);
    const msgs = payloadOf.triage([
      { caseId: 'a', messageId: '1' },
      { caseId: 'b', messageId: '2' },
    ]);
    expect(itemsOf.triage(msgs)).toHaveLength(2);
    expect(jobIdOf('triage', msgs)).toMatch(/^msgs-2-/);
    for (const i of [id, jobIdOf('outbound', sends), jobIdOf('triage', msgs)]) expect(i).not.toContain(':');
  });
});
