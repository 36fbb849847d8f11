import { describe, expect, it } from 'vitest';
import { decideAfterFetch, maxFetchTries, stillListed } from '../../src/channels/email/fetch-gaps.js';

const set = (...n: number[]) => new Set(n);

describe('decideAfterFetch: the checkpoint never passes a message the server still owes', () => {
  it('moves to the end of a batch that came whole', () => {
    expect(decideAfterFetch([5, 6, 7], set(5, 6, 7), set(), new Map(), 4)).toEqual({
      checkpoint: 7,
      skipped: [],
    });
  });

  it('stops just below a message left out but still listed', () => {
    const tries = new Map<number, number>();
    expect(decideAfterFetch([5, 6, 7], set(5, 7), set(6), tries, 4)).toEqual({ checkpoint: 5, skipped: [] });
    expect(tries.get(6)).toBe(1);
  });

  it('passes a message deleted meanwhile', () => {
    expect(decideAfterFetch([5, 6, 7], set(5, 7), set(), new Map(), 4)).toEqual({
      checkpoint: 7,
      skipped: [],
    });
  });

  it('stays put when the first message is owed', () => {
    expect(decideAfterFetch([5, 6], set(6), set(5), new Map(), 4)).toEqual({ checkpoint: 4, skipped: [] });
  });

  it(`gives up on a message after ${maxFetchTries} tries, so it cannot hold the mailbox up for ever`, () => {
    const tries = new Map<number, number>();
    let last = { checkpoint: 0, skipped: [] as number[] };
    for (let i = 0; i < maxFetchTries; i++) last = decideAfterFetch([5, 6, 7], set(5, 7), set(6), tries, 4);
    expect(last).toEqual({ checkpoint: 7, skipped: [6] });
    expect(tries.has(6)).toBe(false);
  });
});

describe('stillListed: a SEARCH that failed proves nothing gone', () => {
  it('counts every owed UID as still there when the search failed, so the checkpoint waits', () => {
    const owed = [7, 9];
    const there = stillListed(false, owed);
    expect([...there]).toEqual([7, 9]);
    const d = decideAfterFetch([6, 7, 8, 9], new Set([6, 8]), there, new Map(), 5);
    expect(d.checkpoint).toBe(6);
  });

  it('takes the list of the server when the search answered', () => {
    expect([...stillListed([9], [7, 9])]).toEqual([9]);
    expect([...stillListed([], [7, 9])]).toEqual([]);
  });
});
