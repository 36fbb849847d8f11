import { describe, expect, it } from 'vitest';
import { concurrencyLimit } from '../../src/concurrency-limit.js';

describe('concurrency limit', () => {
  it('runs at most n at once, in the order they came, and frees the slot of a call that throws', async () => {
    const limit = concurrencyLimit(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, () => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      return { promise, resolve };
    });
    const calls = gates.map((gate, i) =>
      limit(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await gate.promise;
        running--;
        if (i === 1) throw new Error('fails');
        return i;
      }),
    );
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve();
    await expect(calls[1]).rejects.toThrow('fails');
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.resolve();
    expect(await Promise.all([calls[0], calls[2], calls[3], calls[4]])).toEqual([0, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
  });
});
