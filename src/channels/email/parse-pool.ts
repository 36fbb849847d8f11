import { Piscina } from 'piscina';
import {
  type NormalisedMail,
  type NormaliseOptions,
  normaliseMail,
  UnparseableMailError,
} from './normalise-mail.js';

// Parsing a mail is the heaviest CPU work per mail. Parse threads keep it off the thread that serves HTTP,
// chat and the queues, use a second core, and bound what one pathological mail can cost: a parse that runs
// past the time limit is stopped (its thread replaced) and the mail quarantined.

export interface MailParser {
  normalise(raw: Buffer, options: NormaliseOptions): Promise<NormalisedMail>;
  close(): Promise<void>;
}

type WorkerAnswer = { ok: true; mail: NormalisedMail } | { ok: false; code: string; message: string };

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
  if (threads === 0) return { normalise: normaliseMail, close: async () => {} };
  const pool = new Piscina({
    filename: new URL('./parse-worker.mjs', import.meta.url).href,
    minThreads: 1,
    maxThreads: threads,
    idleTimeout: 60_000,
    resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
    // The worker registers its own TypeScript loader; inherit no flags.
    execArgv: [],
  });
  // At most one mail per thread is handed over, so the time limit runs while a mail is parsed, never while
  // it waits behind others.
  let busy = 0;
  const waiting: Array<() => void> = [];
  const acquire = (): Promise<void> => {
    if (busy < threads) {
      busy++;
      return Promise.resolve();
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else busy--;
  };
  return {
    async normalise(raw, options) {
      let answer: WorkerAnswer;
      await acquire();
      try {
        answer = await pool.run({ raw, options }, { signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        if ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError')
          throw new UnparseableMailError(`parsing took over ${timeoutMs} ms`, 'mail_parse_timeout');
        throw err;
      } finally {
        release();
      }
      if (!answer.ok) throw new UnparseableMailError(answer.message, answer.code);
      const mail = answer.mail;
      // Buffers cross the thread boundary as plain Uint8Arrays.
      for (const a of mail.attachments)
        if (a.content) a.content = Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength);
      return mail;
    },
    close: () => pool.destroy(),
  };
}
