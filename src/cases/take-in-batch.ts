import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { InboundMessage } from './inbound-message.js';
import {
  isMessageIdClash,
  lookUp,
  type Settle,
  type TakeInResult,
  takeInMessage,
  writeMessages,
} from './take-in-message.js';
import { threadCandidates } from './threading.js';

// The messages of one batch (one IMAP fetch) are looked up in one statement and, where none needs another's
// outcome, written in one statement. A message that does (a second copy of a Message-ID in the batch, an
// answer to another mail of the batch, a copy or reuse of a stored Message-ID), and every message of a batch
// write that failed, is then taken in on its own, exactly as a lone message would be.

export type BatchOutcome = TakeInResult | { outcome: 'failed'; error: unknown };

/** One outcome per message, in the order given. Safe to run twice for the same messages. */
export async function takeInMessages(
  db: Db,
  logger: Logger,
  ms: readonly InboundMessage[],
  settle: Settle,
): Promise<BatchOutcome[]> {
  const out: BatchOutcome[] = new Array(ms.length);
  const found = ms.length > 1 ? await lookUp(db, ms) : [];
  const { together, alone } = partition(ms, found);
  if (together.length) {
    try {
      const planned = together.map((i) => ({ m: ms[i]!, found: found[i]!, storeKey: ms[i]!.messageId }));
      const written = await writeMessages(db, planned, settle);
      together.forEach((i, k) => {
        if (written[k]) out[i] = written[k];
        else alone.push(i);
      });
    } catch (err) {
      // A concurrent writer of one of the Message-IDs, a deadlock, a lost connection: the statement wrote
      // nothing, and each message is taken in alone, with the lone path's handling of each of these.
      // A concurrent writer of one of the Message-IDs is expected now and then; anything else is worth a look.
      const level = isMessageIdClash(err) ? 'info' : 'warn';
      logger[level](
        {
          err: { message: (err as Error).message, code: (err as { code?: string }).code },
          count: together.length,
        },
        'batch write failed; its messages are taken in one by one',
      );
      alone.push(...together);
    }
  }
  for (const i of alone.sort((a, b) => a - b)) {
    try {
      out[i] = await takeInMessage(db, logger, ms[i]!, settle);
    } catch (error) {
      out[i] = { outcome: 'failed', error };
    }
  }
  return out;
}

/** Which messages may be written together, and which must go alone (after the others, in order). */
function partition(ms: readonly InboundMessage[], found: readonly { dup_digest: string | null }[]) {
  const together: number[] = [];
  const alone: number[] = [];
  if (ms.length < 2) return { together, alone: ms.map((_, i) => i) };
  const inBatch = new Set(ms.map((m) => m.messageId));
  const seen = new Set<string>();
  ms.forEach((m, i) => {
    // One Message-ID across mailboxes: a mail Cc'd to two of them is one message.
    const key = m.messageId;
    const answersBatch = threadCandidates(m.inReplyTo, m.references).some((id) => inBatch.has(id));
    if (found[i]!.dup_digest !== null || seen.has(key) || answersBatch) alone.push(i);
    else together.push(i);
    seen.add(key);
  });
  return { together, alone };
}
