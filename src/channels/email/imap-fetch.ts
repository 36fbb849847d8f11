import type { ImapFlow } from 'imapflow';
import type { Logger } from '../../logger.js';
import { fetchCutMail, firstTextMaxBytes } from './oversized-mail.js';
import type { FetchedMail } from './raw-mail-store.js';

/** Keeps the stall timer of one check: fed while the mail server answers, paused while we work. */
export interface Watch {
  /** The server answered; it may take `allowanceMs` longer than the stall limit for what comes next. */
  alive(allowanceMs?: number): void;
  pause(): void;
}

/** A watch whose `stalled` promise rejects when the server stays silent past the limit; `stop` ends it. */
export function startWatch(stallMs: number): { watch: Watch; stalled: Promise<never>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let fire: (err: Error) => void = () => {};
  const stalled = new Promise<never>((_, reject) => {
    fire = reject;
  });
  const watch: Watch = {
    alive: (allowanceMs = 0) => {
      clearTimeout(timer);
      const limit = Math.round(stallMs + allowanceMs);
      timer = setTimeout(() => fire(new Error(`no answer from the mail server for ${limit} ms`)), limit);
    },
    pause: () => clearTimeout(timer),
  };
  watch.alive();
  return { watch, stalled, stop: () => clearTimeout(timer) };
}

// The slowest link a healthy connection is expected to have: 50 KB/s.
const slowLinkBytesPerSecond = 50_000;

/** Whole mails, each handed over only once all of it has arrived. */
export async function fetchWhole(
  client: ImapFlow,
  watch: Watch,
  batch: number[],
  largest: number,
): Promise<FetchedMail[]> {
  const fetched: FetchedMail[] = [];
  // A large message on a slow link may take minutes, so the allowance grows with the largest of the batch.
  const allowanceMs = (largest / slowLinkBytesPerSecond) * 1000;
  watch.alive(allowanceMs);
  const query = { uid: true, source: true, internalDate: true };
  for await (const msg of client.fetch(batch.join(','), query, { uid: true })) {
    watch.alive(allowanceMs);
    if (!msg.source) continue;
    const date = msg.internalDate ? new Date(msg.internalDate) : null;
    const internalDate = date && !Number.isNaN(date.getTime()) ? date : undefined;
    fetched.push({ uid: msg.uid, source: msg.source, internalDate });
  }
  return fetched;
}

/** A mail over MAIL_MAX_BYTES: its headers and first text part only; the rest stays in the mailbox. */
export async function fetchCut(
  client: ImapFlow,
  watch: Watch,
  uid: number,
  size: number,
  log: Logger,
): Promise<FetchedMail[]> {
  watch.alive((firstTextMaxBytes / slowLinkBytesPerSecond) * 1000);
  const mail = await fetchCutMail(client, uid, size);
  if (mail) log.warn({ uid, size }, 'mail larger than MAIL_MAX_BYTES: headers and first text part read');
  return mail ? [mail] : [];
}
