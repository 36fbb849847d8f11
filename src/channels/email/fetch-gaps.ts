// A server may answer a FETCH with OK and leave some messages out (still being delivered, a damaged item),
// or send one without its body. The checkpoint must not pass such a UID while the message is still there,
// or the mail would never be read; but one that never comes must not hold the mailbox up for ever.

export const maxFetchTries = 5;

export interface GapDecision {
  /** How far the checkpoint may move: the batch's last UID, or just below the first UID still owed. */
  checkpoint: number;
  /** UIDs given up on after `maxFetchTries` (still in the mailbox, never read). */
  skipped: number[];
}

/**
 * Which owed UIDs the server still lists. imapflow answers `false` when the SEARCH itself failed (NO or BAD,
 * e.g. a throttled server): then nothing is known to be gone, so every owed UID counts as still there.
 */
export function stillListed(listed: number[] | false | undefined, owed: readonly number[]): Set<number> {
  return new Set(Array.isArray(listed) ? listed : owed);
}

/**
 * @param batch the UIDs asked for, ascending
 * @param got the UIDs that came with their bytes
 * @param stillThere of the others, those the server still lists (the rest were deleted meanwhile)
 * @param tries how often each UID has been missed so far; updated here
 */
export function decideAfterFetch(
  batch: readonly number[],
  got: ReadonlySet<number>,
  stillThere: ReadonlySet<number>,
  tries: Map<number, number>,
  previous: number,
): GapDecision {
  const skipped: number[] = [];
  let checkpoint = previous;
  for (const uid of batch) {
    if (got.has(uid) || !stillThere.has(uid)) {
      tries.delete(uid);
      checkpoint = uid;
      continue;
    }
    const n = (tries.get(uid) ?? 0) + 1;
    if (n < maxFetchTries) {
      tries.set(uid, n);
      break;
    }
    tries.delete(uid);
    skipped.push(uid);
    checkpoint = uid;
  }
  return { checkpoint, skipped };
}
