import { Piscina } from 'piscina';
import { type JudgeTask, judge, type PlainContact, type ReadingParts, type Verdicts } from './judge.js';
import type { LearnedOpinion, OpinionParts } from './learned-opinion.js';
import type { Rule } from './rule-schema.js';
import type { Reading } from './triage-config.js';

// A dry run classifies thousands of contacts twice: on threads it takes a fraction of the time on a machine
// with cores to spare, and the thread that serves HTTP, chat and the queues stays free meanwhile. Each thread
// gets one contiguous share. A share a thread could not take (it could not start, say) is judged here
// instead; a share that ran a thread out of memory or past the time limit fails the dry run.

export interface Judges {
  /** What the current and the proposed rules make of each contact, in the order given. */
  judgeAll(
    contacts: readonly PlainContact[],
    current: readonly Rule[],
    proposed: readonly Rule[],
    reading: Partial<Reading>,
  ): Promise<Verdicts[]>;
  close(): Promise<void>;
}

/** A dry run too big for its threads: the admin narrows it (fewer cases, a shorter period). */
export class JudgesOverloaded extends Error {}

function judgeOnThisThread(
  contacts: readonly PlainContact[],
  current: readonly Rule[],
  proposed: readonly Rule[],
  reading: Partial<Reading>,
): Verdicts[] {
  return contacts.map((c) => judge({ ...c, ...reading }, current, proposed));
}

/** Judges on the calling thread. */
export const judgesOnThisThread: Judges = {
  judgeAll: async (contacts, current, proposed, reading) =>
    judgeOnThisThread(contacts, current, proposed, reading),
  close: async () => {},
};

/** Fewer contacts than this per thread are judged on the calling thread: handing over would cost more. */
const MIN_SHARE = 250;
const MAX_HEAP_MB = 512;

// The reading's objects numbered, so a thread knows when it has made them already.
const serials = new WeakMap<object, number>();
let nextSerial = 1;
function serialOf(o: object | null | undefined): number {
  if (!o) return 0;
  let n = serials.get(o);
  if (n === undefined) {
    n = nextSerial++;
    serials.set(o, n);
  }
  return n;
}

/** A copy of the array in shared memory: a thread reads it where it is, nothing is copied per share. */
function onShared<A extends Float64Array | Int32Array>(a: A): A {
  const copy = new (a.constructor as new (b: SharedArrayBuffer) => A)(new SharedArrayBuffer(a.byteLength));
  (copy as Float64Array).set(a as Float64Array);
  return copy;
}

const sharedOpinions = new WeakMap<LearnedOpinion, OpinionParts>();
function sharedPartsOf(opinion: LearnedOpinion): OpinionParts {
  let parts = sharedOpinions.get(opinion);
  if (!parts) {
    const p = opinion.parts;
    const index = { ...p.index, keys: onShared(p.index.keys), rows: onShared(p.index.rows) };
    parts = { ...p, logPrior: onShared(p.logPrior), logs: onShared(p.logs), index };
    sharedOpinions.set(opinion, parts);
  }
  return parts;
}

function partsOf({ catalogue, opinion }: Partial<Reading>): ReadingParts {
  return {
    key: `${serialOf(catalogue)}:${serialOf(opinion)}`,
    catalogue: catalogue?.source ?? null,
    opinion: opinion ? sharedPartsOf(opinion) : null,
  };
}

/** Whether the thread ran the share and gave up on it (as opposed to never getting it). */
function overloaded(err: Error & { code?: string }): boolean {
  return err.code === 'ERR_WORKER_OUT_OF_MEMORY' || err.name === 'AbortError' || err.name === 'TimeoutError';
}

export interface JudgesProps {
  threads: number;
  /** Longest a thread may take over its share. */
  timeLimitMs?: number;
  /** Told when a thread could not take its share and it was judged on the calling thread instead. */
  onFallback?: (err: Error) => void;
}

/** Judges on up to `threads` threads (started at the first large dry run, stopped after ten idle minutes). */
export function createJudges({ threads, timeLimitMs = 60_000, onFallback }: JudgesProps): Judges {
  if (threads === 0) return judgesOnThisThread;
  const pool = new Piscina({
    filename: new URL('./judge-worker.mjs', import.meta.url).href,
    minThreads: 0,
    maxThreads: threads,
    idleTimeout: 600_000,
    resourceLimits: { maxOldGenerationSizeMb: MAX_HEAP_MB },
    // The worker registers its own TypeScript loader; inherit no flags.
    execArgv: [],
  });
  const run = (task: JudgeTask, here: () => Verdicts[]): Promise<Verdicts[]> =>
    (pool.run(task, { signal: AbortSignal.timeout(timeLimitMs) }) as Promise<Verdicts[]>).catch(
      (err: Error) => {
        if (overloaded(err))
          throw new JudgesOverloaded(
            `a share of ${task.contacts.length} contacts ran a dry-run thread out of memory or past ${timeLimitMs / 1000} s`,
          );
        onFallback?.(err);
        return here();
      },
    );
  return {
    async judgeAll(contacts, current, proposed, reading) {
      if (contacts.length < MIN_SHARE) return judgeOnThisThread(contacts, current, proposed, reading);
      const shares = Math.min(threads, Math.floor(contacts.length / MIN_SHARE));
      const parts = partsOf(reading);
      const size = Math.ceil(contacts.length / shares);
      const answers = await Promise.all(
        Array.from({ length: shares }, (_, i) => {
          const share = contacts.slice(i * size, (i + 1) * size);
          const task: JudgeTask = {
            contacts: share,
            current: [...current],
            proposed: current === proposed ? null : [...proposed],
            reading: parts,
          };
          return run(task, () => judgeOnThisThread(share, current, proposed, reading));
        }),
      );
      return answers.flat();
    },
    close: () => pool.destroy(),
  };
}
