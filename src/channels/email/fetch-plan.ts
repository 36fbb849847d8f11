// How the new mail of one check is fetched: whole mails in batches bounded by count and by bytes (sizes are
// known before the fetch), and a mail larger than MAIL_MAX_BYTES apart, read only in part. Steps keep UID
// order, so the checkpoint can follow them.

export interface SizedUid {
  uid: number;
  /** RFC822.SIZE; unknown counts as 0. */
  size?: number;
}

export type FetchStep =
  | { kind: 'whole'; uids: number[]; bytes: number }
  | { kind: 'cut'; uid: number; size: number };

export interface FetchPlanLimits {
  maxCount: number;
  maxBytes: number;
  mailMaxBytes: number;
}

// Bytes held in memory for one batch: never below one largest whole mail, so every whole mail fits one.
const minBatchBytes = 16 * 1024 * 1024;

export function batchByteBudget(mailMaxBytes: number): number {
  return Math.max(mailMaxBytes, minBatchBytes);
}

export function planFetch(news: readonly SizedUid[], limits: FetchPlanLimits): FetchStep[] {
  const steps: FetchStep[] = [];
  let open: { kind: 'whole'; uids: number[]; bytes: number } | null = null;
  for (const { uid, size = 0 } of news) {
    if (size > limits.mailMaxBytes) {
      open = null;
      steps.push({ kind: 'cut', uid, size });
      continue;
    }
    const fits = open && open.uids.length < limits.maxCount && open.bytes + size <= limits.maxBytes;
    if (!open || !fits) {
      open = { kind: 'whole', uids: [], bytes: 0 };
      steps.push(open);
    }
    open.uids.push(uid);
    open.bytes += size;
  }
  return steps;
}
