import { Piscina } from 'piscina';
import { type JudgeTask, judge, type PlainContact, type ReadingParts, type Verdicts } from './judge.js';
import type { LearnedOpinion } from './learned-opinion.js';
import type { Rule } from './rule-schema.js';
import type { ServiceCatalogue } from './services.js';
import type { Reading } from './triage-config.js';

// A dry run classifies thousands of contacts twice: on threads it takes a fraction of the time on a machine
// with cores to spare, and the thread that serves HTTP, chat and the queues stays free meanwhile. Each thread
// gets one contiguous share; a thread that fails (it could not start, say) has its share judged here instead.

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

function judgeHere(
  contacts: readonly PlainContact[],
  current: readonly Rule[],
  proposed: readonly Rule[],
  reading: Partial<Reading>,
): Verdicts[] {
  return contacts.map((c) => judge({ ...c, ...reading }, current, proposed));
}

/** Judges on the calling thread. */
export const judgesHere: Judges = {
  judgeAll: async (contacts, current, proposed, reading) => judgeHere(contacts, current, proposed, reading),
  close: async () => {},
};

/** Fewer contacts than this per thread are judged on the calling thread: handing over would cost more. */
const MIN_SHARE = 250;

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

function partsOf(reading: Partial<Reading>): ReadingParts {
  const catalogue: ServiceCatalogue | undefined = reading.catalogue;
  const opinion: LearnedOpinion | null | undefined = reading.opinion;
  return {
    key: `${serialOf(catalogue)}:${serialOf(opinion)}`,
    catalogue: catalogue?.source ?? null,
    opinion: opinion?.parts ?? null,
  };
}

export interface JudgesProps {
  threads: number;
  /** Told when a thread failed and its share was judged on the calling thread instead. */
  onFallback?: (err: Error) => void;
}

/** Judges on up to `threads` threads (started at the first large dry run, stopped after ten idle minutes). */
export function createJudges({ threads, onFallback }: JudgesProps): Judges {
  if (threads === 0) return judgesHere;
  const pool = new Piscina({
    filename: new URL('./judge-worker.mjs', import.meta.url).href,
    minThreads: 0,
    maxThreads: threads,
    idleTimeout: 600_000,
    // The worker registers its own TypeScript loader; inherit no flags.
    execArgv: [],
  });
  return {
    async judgeAll(contacts, current, proposed, reading) {
      if (contacts.length < MIN_SHARE) return judgeHere(contacts, current, proposed, reading);
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
          return (pool.run(task) as Promise<Verdicts[]>).catch((err: Error) => {
            onFallback?.(err);
            return judgeHere(share, current, proposed, reading);
          });
        }),
      );
      return answers.flat();
    },
    close: () => pool.destroy(),
  };
}
