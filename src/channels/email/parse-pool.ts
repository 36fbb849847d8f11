import { Piscina } from 'piscina';
import { concurrencyLimit } from '../../concurrency-limit.js';
import {
  type NormalisedMail,
  type NormaliseOptions,
  normaliseMail,
  UnparseableMailError,
} from './normalise-mail.js';

// Parsing a mail is the heaviest CPU work per mail. Parse threads keep it off the thread that serves HTTP,
// chat and the queues, use a second core, and bound what one pathological mail can cost: a parse that runs
// past the time limit is stopped (its thread replaced) and the mail quarantined.

/** A mail of a batch parsed, or why not: an `UnparseableMailError`, or another error (try it again alone). */
export type ParsedOrNot = { ok: true; mail: NormalisedMail } | { ok: false; error: Error };

export interface MailParser {
  normalise(raw: Buffer, options: NormaliseOptions): Promise<NormalisedMail>;
  /** The mails of a batch in one hand-over to a parse thread, each answered in the order given. */
  normaliseMany(raws: readonly Buffer[], options: NormaliseOptions): Promise<ParsedOrNot[]>;
  close(): Promise<void>;
}

type WorkerAnswer =
  | { ok: true; mail: NormalisedMail }
  | { ok: false; code: string; message: string }
  | { ok: 'error'; message: string };

export interface ParsePoolProps {
  /** Parse threads; 0 parses on the calling thread. */
  threads: number;
  /** Longest one mail may take to parse. */
  timeoutMs?: number;
  maxHeapMb?: number;
}

export function createMailParser({
  threads,
  timeoutMs = 30_000,
  maxHeapMb = 512,
}: ParsePoolProps): MailParser {
  if (threads === 0) {
    const normaliseMany = async (raws: readonly Buffer[], options: NormaliseOptions) => {
      const out: ParsedOrNot[] = [];
      for (const raw of raws) out.push(await normaliseMail(raw, options).then(parsed, notParsed));
      return out;
    };
    return { normalise: normaliseMail, normaliseMany, close: async () => {} };
  }
  const pool = new Piscina({
    filename: new URL('./parse-worker.mjs', import.meta.url).href,
    minThreads: 1,
    maxThreads: threads,
    idleTimeout: 60_000,
    resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
    // The worker registers its own TypeScript loader; inherit no flags.
    execArgv: [],
  });
  // At most one task per thread is handed over, so the time limit runs while mails are parsed, never while
  // they wait behind others.
  const oneEachThread = concurrencyLimit(threads);
  /** Runs one task on a thread under the time limit; a task over it is stopped as a parse timeout. */
  const run = <T>(task: object): Promise<T> =>
    oneEachThread(async () => {
      try {
        return await pool.run(task, { signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        if ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError')
          throw new UnparseableMailError(`parsing took over ${timeoutMs} ms`, 'mail_parse_timeout');
        throw err;
      }
    });
  const normalise = async (raw: Buffer, options: NormaliseOptions) => mailOf(await run({ raw, options }));
  return {
    normalise,
    async normaliseMany(raws, options) {
      if (raws.length === 1) return [await normalise(raws[0]!, options).then(parsed, notParsed)];
      let answers: WorkerAnswer[];
      try {
        // One hand-over for the batch: a thread never waits for the busy calling thread between two mails.
        answers = await run({ raws, options });
      } catch {
        // The batch ran past the limit (one pathological mail, most likely) or its thread died: each mail
        // again on its own, so that only the culprit is stopped and quarantined.
        return Promise.all(raws.map((raw) => normalise(raw, options).then(parsed, notParsed)));
      }
      return answers.map((a) => {
        try {
          return parsed(mailOf(a));
        } catch (err) {
          return notParsed(err);
        }
      });
    },
    close: () => pool.destroy(),
  };
}

function mailOf(answer: WorkerAnswer): NormalisedMail {
  if (answer.ok === 'error') throw new Error(answer.message);
  if (!answer.ok) throw new UnparseableMailError(answer.message, answer.code);
  const mail = answer.mail;
  // Buffers cross the thread boundary as plain Uint8Arrays.
  for (const a of mail.attachments)
    if (a.content) a.content = Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength);
  return mail;
}

const parsed = (mail: NormalisedMail): ParsedOrNot => ({ ok: true, mail });
const notParsed = (err: unknown): ParsedOrNot => ({
  ok: false,
  error: err instanceof Error ? err : new Error(String(err)),
});
