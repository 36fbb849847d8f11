import { describe, expect, it } from 'vitest';
import { batchByteBudget, planFetch } from '../../src/channels/email/fetch-plan.js';

const MiB = 1024 * 1024;

describe('planFetch: fetch batches bounded by count and bytes', () => {
  it('cuts batches at the count limit', () => {
    const news = Array.from({ length: 5 }, (_, i) => ({ uid: i + 1, size: 10 }));
    const steps = planFetch(news, { maxCount: 2, maxBytes: 1000, mailMaxBytes: 1000 });
    expect(steps.map((s) => (s.kind === 'whole' ? s.uids : [s.uid]))).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('cuts batches at the byte budget, well below the count limit', () => {
    const news = [30, 30, 30, 50, 10, 60].map((size, i) => ({ uid: i + 1, size }));
    const steps = planFetch(news, { maxCount: 100, maxBytes: 100, mailMaxBytes: 100 });
    expect(steps).toEqual([
      { kind: 'whole', uids: [1, 2, 3], bytes: 90 },
      { kind: 'whole', uids: [4, 5], bytes: 60 },
      { kind: 'whole', uids: [6], bytes: 60 },
    ]);
    for (const s of steps) if (s.kind === 'whole') expect(s.bytes).toBeLessThanOrEqual(100);
  });

  it('sets a mail larger than MAIL_MAX_BYTES apart, to be read in part, keeping UID order', () => {
    const news = [
      { uid: 7, size: 10 },
      { uid: 8, size: 5 * MiB },
      { uid: 9, size: 10 },
      { uid: 10, size: 20 },
    ];
    const steps = planFetch(news, { maxCount: 100, maxBytes: 16 * MiB, mailMaxBytes: MiB });
    expect(steps).toEqual([
      { kind: 'whole', uids: [7], bytes: 10 },
      { kind: 'cut', uid: 8, size: 5 * MiB },
      { kind: 'whole', uids: [9, 10], bytes: 30 },
    ]);
  });

  it('never holds more than the budget, whatever the sizes', () => {
    const sizes = [3, 99, 1, 100, 50, 50, 1, 0, 101, 7, 93];
    const news = sizes.map((size, i) => ({ uid: i + 1, size }));
    const steps = planFetch(news, { maxCount: 3, maxBytes: 100, mailMaxBytes: 100 });
    expect(steps.flatMap((s) => (s.kind === 'whole' ? s.uids : [s.uid]))).toEqual(news.map((n) => n.uid));
    for (const s of steps) {
      if (s.kind === 'whole') {
        expect(s.uids.length).toBeLessThanOrEqual(3);
        expect(s.bytes).toBeLessThanOrEqual(100);
      } else expect(s.size).toBeGreaterThan(100);
    }
  });

  it('counts a mail of unknown size as small', () => {
    expect(planFetch([{ uid: 1 }, { uid: 2 }], { maxCount: 10, maxBytes: 1, mailMaxBytes: 1 })).toEqual([
      { kind: 'whole', uids: [1, 2], bytes: 0 },
    ]);
  });

  it('has a batch budget of at least 16 MiB and never below MAIL_MAX_BYTES', () => {
    expect(batchByteBudget(1 * MiB)).toBe(16 * MiB);
    expect(batchByteBudget(40 * MiB)).toBe(40 * MiB);
  });
});
