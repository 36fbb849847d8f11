// What a failed Graph request means for a mailbox, named by a short code for /readyz, the log and the metrics.
// Graph's own error text stays in the log only.

export const graphFailureCodes = [
  /** 429, or 503 with Retry-After, beyond the tries one request makes. */
  'throttled',
  /** No answer: connection refused, DNS, TLS, timeout. */
  'unreachable',
  /** Graph refused the app's token even when fresh from the token service. */
  'token_refused',
  /** 403: the app lacks Mail.ReadWrite / Mail.Send, or an application access policy keeps it out. */
  'permission_missing',
  /** 404 for the mailbox itself: no such user, or a mailbox without Exchange Online. */
  'mailbox_not_found',
  /** 410: the delta link is no longer known (SyncStateNotFound); the inbox is read again from the start. */
  'sync_state_lost',
  /** 400 and friends for one request: a verdict on this mail, not on the mailbox. */
  'request_refused',
  /** 413: the request is larger than Graph takes (about 4 MB for sendMail). */
  'too_large',
  /** Anything else Graph answered (5xx without Retry-After, a shape we did not expect). */
  'graph_failed',
] as const;
export type GraphFailureCode = (typeof graphFailureCodes)[number];

export class GraphError extends Error {
  readonly code: GraphFailureCode;
  readonly status: number | null;
  /** Graph's error code (`ErrorAccessDenied`, `SyncStateNotFound`, ...), when it gave one. */
  readonly graphCode: string | null;
  constructor(
    code: GraphFailureCode,
    opts: { status: number | null; message: string; graphCode?: string | null; cause?: unknown },
  ) {
    super(opts.message, { cause: opts.cause });
    this.name = 'GraphError';
    this.code = code;
    this.status = opts.status;
    this.graphCode = opts.graphCode ?? null;
  }
}

// Graph's error codes for a mailbox that is not there (or not on Exchange Online).
const missingMailbox =
  /^(ErrorInvalidUser|MailboxNotEnabledForRESTAPI|MailboxNotHostedInExchangeOnline|ErrorNonExistentMailbox|ResourceNotFound)$/;

/** The failure an unsuccessful answer means; its body is read (at most 64 KB) for Graph's error code. */
export async function graphErrorOf(
  res: Response,
  readBody: (res: Response, maxBytes: number) => Promise<{ bytes: Buffer | null }>,
): Promise<GraphError> {
  const text = (await readBody(res, 65_536).catch(() => ({ bytes: null }))).bytes?.toString('utf8') ?? '';
  let graphCode: string | null = null;
  let graphMessage = '';
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    graphCode = typeof body.error?.code === 'string' ? body.error.code : null;
    graphMessage = typeof body.error?.message === 'string' ? body.error.message.slice(0, 300) : '';
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const message = `Graph answered HTTP ${res.status}${graphCode ? ` ${graphCode}` : ''}${graphMessage ? `: ${graphMessage}` : ''}`;
  return new GraphError(codeOf(res, graphCode), { status: res.status, message, graphCode });
}

function codeOf(res: Response, graphCode: string | null): GraphFailureCode {
  const s = res.status;
  if (s === 429 || ((s === 503 || s === 504) && res.headers.has('retry-after'))) return 'throttled';
  if (s === 401) return 'token_refused';
  if (s === 403) return 'permission_missing';
  if (s === 410) return 'sync_state_lost';
  if (s === 404 && graphCode && missingMailbox.test(graphCode)) return 'mailbox_not_found';
  // Graph takes at most about 4 MB in one request (sendMail with MIME included).
  if (s === 413) return 'too_large';
  if (s >= 400 && s < 500) return 'request_refused';
  return 'graph_failed';
}

/**
 * How long Retry-After asks to wait (seconds, or an HTTP date); without one, a backoff that grows with the
 * attempt (2, 4, 8 ... seconds).
 */
export function retryAfterMs(header: string | null, attempt: number, now = Date.now()): number {
  const fallback = Math.min(2 ** attempt, 60) * 1000;
  if (!header) return fallback;
  if (/^\d{1,6}$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? fallback : Math.max(0, at - now);
}

export function describeGraphFailure(code: GraphFailureCode): string {
  switch (code) {
    case 'throttled':
      return 'Microsoft Graph is throttling this mailbox (429/503 with Retry-After); requests wait as asked and go on';
    case 'unreachable':
      return 'Microsoft Graph cannot be reached (GRAPH_URL, network or certificate)';
    case 'token_refused':
      return "Microsoft Graph refused the app's token even when fresh";
    case 'permission_missing':
      return 'Microsoft Graph refused the app access to the mailbox (403): grant Mail.ReadWrite and Mail.Send with admin consent, and check the application access policy';
    case 'mailbox_not_found':
      return 'Microsoft Graph does not know this mailbox (GRAPH_MAILBOX), or it is not on Exchange Online';
    case 'sync_state_lost':
      return 'the delta link expired (410 SyncStateNotFound): the inbox is read again, nothing taken twice';
    case 'request_refused':
      return 'Microsoft Graph refused the request';
    case 'too_large':
      return 'the mail is larger than Microsoft Graph takes in one request (about 4 MB with attachments)';
    case 'graph_failed':
      return 'Microsoft Graph answered with an error';
  }
}
