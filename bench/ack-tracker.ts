import { performance } from 'node:perf_hooks';
import type { SunkMail } from './raw-smtp-sink.js';

// Matches acks to the mails they answer (In-Reply-To = the mail's Message-ID) and counts how many each got.

export interface AckCounts {
  expected: number;
  /** Mails with at least one ack. */
  answered: number;
  missing: number;
  /** Acks beyond the first one for the same mail. */
  duplicates: number;
  /** Acks whose In-Reply-To is none of the expected mails. */
  unexpected: number;
}

export class AckTracker {
  private readonly counts = new Map<string, number>();
  private readonly firstAt = new Map<string, number>();
  private readonly waiters = new Map<string, (at: number) => void>();
  private unexpected = 0;
  private answered = 0;
  /** performance.now() of the newest first ack. */
  lastAt = 0;
  onProgress: ((answered: number) => void) | null = null;

  constructor(expected: Iterable<string>) {
    for (const id of expected) this.counts.set(id, 0);
  }

  record = (mail: SunkMail): void => {
    const id = mail.inReplyTo;
    const seen = id === null ? undefined : this.counts.get(id);
    if (id === null || seen === undefined) {
      this.unexpected++;
      return;
    }
    this.counts.set(id, seen + 1);
    if (seen > 0) return;
    this.firstAt.set(id, mail.at);
    this.answered++;
    this.lastAt = Math.max(this.lastAt, mail.at);
    this.waiters.get(id)?.(mail.at);
    this.onProgress?.(this.answered);
  };

  /** Arrival time of the first ack for `messageId`. */
  waitFor(messageId: string, timeoutMs: number): Promise<number> {
    const at = this.firstAt.get(messageId);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(messageId);
        reject(new Error(`no ack for ${messageId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(messageId, (arrived) => {
        clearTimeout(timer);
        this.waiters.delete(messageId);
        resolve(arrived);
      });
    });
  }

  /**
   * Waits until every expected mail has an ack. Gives up when no new ack came for `stallMs` or after `maxMs`
   * in all; resolves true when complete.
   */
  async waitForAll(stallMs: number, maxMs: number, signal?: AbortSignal): Promise<boolean> {
    const started = performance.now();
    let lastCount = this.answered;
    let lastChange = started;
    while (this.answered < this.counts.size) {
      await new Promise((r) => setTimeout(r, 50));
      const now = performance.now();
      if (this.answered !== lastCount) {
        lastCount = this.answered;
        lastChange = now;
      }
      if (now - lastChange > stallMs || now - started > maxMs || signal?.aborted) return false;
    }
    return true;
  }

  arrivals(): Map<string, number> {
    return new Map(this.firstAt);
  }

  summary(): AckCounts {
    let duplicates = 0;
    for (const n of this.counts.values()) if (n > 1) duplicates += n - 1;
    return {
      expected: this.counts.size,
      answered: this.answered,
      missing: this.counts.size - this.answered,
      duplicates,
      unexpected: this.unexpected,
    };
  }
}
