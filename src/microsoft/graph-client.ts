import { type ConcurrencyLimit, concurrencyLimit } from '../concurrency-limit.js';
import { EntraTokenError, type TokenSource } from './entra-tokens.js';
import { GraphError, graphErrorOf, retryAfterMs } from './graph-errors.js';

// Requests to Microsoft Graph for one mailbox: the app's token (renewed once when Graph calls it expired),
// at most four requests at a time (Exchange's limit per app and mailbox), and throttling honoured: after a
// 429 or 503 every request of the mailbox waits out Retry-After before the next try.

/** Exchange Online serves at most four concurrent requests per app and mailbox. */
export const graphRequestsPerMailbox = 4;
/** Tries of one request while Graph keeps throttling, before the failure is given to the caller. */
const throttledTries = 6;
/** A request does not sit waiting longer than this: past it, it fails as `throttled` at once, without asking
 * Graph, until the pause Graph asked for is over (the intake's loop tries again later). */
const longestWaitMs = 120_000;
/** The longest pause honoured: a Retry-After beyond an hour is taken as an hour. */
const longestPauseMs = 3_600_000;
/** The most of a JSON answer read (a delta page of 50 ids is a few KB; a cut mail's text, 256 KB). */
export const jsonMaxBytes = 4 * 1024 * 1024;

export interface GraphClientProps {
  /** GRAPH_URL, e.g. https://graph.microsoft.com/v1.0 (no trailing slash). */
  baseUrl: string;
  tokens: TokenSource;
  /** Told of every request that went out (for the bench's requests-per-mail figure). */
  onRequest?: () => void;
  fetchImpl?: typeof fetch;
}

export interface GraphRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** The answer may take this long (a large mail on a slow link). */
  timeoutMs?: number;
}

/** A body read up to a limit: all of it, or the bytes that came before the limit was passed. */
export type LimitedBody = { bytes: Buffer; whole: true } | { bytes: null; whole: false; size: number };

export class GraphClient {
  private readonly limit: ConcurrencyLimit = concurrencyLimit(graphRequestsPerMailbox);
  private readonly origin: string;
  /** Until when Graph asked this mailbox's requests to wait. */
  private pausedUntil = 0;
  private readonly throttleWatchers: Array<(waitMs: number) => void> = [];

  constructor(private readonly props: GraphClientProps) {
    this.origin = new URL(props.baseUrl).origin;
  }

  /** Told of every throttled answer (429/503) and how long the mailbox now waits. */
  onThrottled(watcher: (waitMs: number) => void): () => void {
    this.throttleWatchers.push(watcher);
    return () => {
      const i = this.throttleWatchers.indexOf(watcher);
      if (i >= 0) this.throttleWatchers.splice(i, 1);
    };
  }

  /** A path under GRAPH_URL (`/users/...`), or a link Graph handed out (which must stay on its host). */
  url(pathOrLink: string): string {
    if (pathOrLink.startsWith('/')) return `${this.props.baseUrl}${pathOrLink}`;
    // A paging or delta link from another host would carry the app's token there.
    if (new URL(pathOrLink).origin !== this.origin)
      throw new GraphError('graph_failed', { status: null, message: `link leaves ${this.origin}` });
    return pathOrLink;
  }

  /** JSON of a successful answer, read no further than `maxBytes` (larger: `request_refused`). */
  async json(pathOrLink: string, req: GraphRequest = {}, maxBytes = jsonMaxBytes): Promise<unknown> {
    return this.send(pathOrLink, req, async (res) => {
      const body = await readLimited(res, maxBytes);
      if (!body.whole)
        throw new GraphError('request_refused', {
          status: res.status,
          message: `Graph's answer is larger than ${maxBytes} bytes`,
        });
      try {
        return JSON.parse(body.bytes.toString('utf8')) as unknown;
      } catch (err) {
        throw new GraphError('graph_failed', {
          status: res.status,
          message: 'Graph answered no JSON',
          cause: err,
        });
      }
    });
  }

  /** A successful answer with no body to read (202 of sendMail). */
  async call(pathOrLink: string, req: GraphRequest = {}): Promise<void> {
    await this.send(pathOrLink, req, async (res) => {
      await res.body?.cancel();
    });
  }

  /** The body as bytes, read no further than `maxBytes`. */
  async bytes(pathOrLink: string, maxBytes: number, req: GraphRequest = {}): Promise<LimitedBody> {
    return this.send(pathOrLink, req, (res) => readLimited(res, maxBytes));
  }

  /** One request in a slot of the mailbox, retried while throttled and once with a fresh token. */
  private send<T>(pathOrLink: string, req: GraphRequest, read: (res: Response) => Promise<T>): Promise<T> {
    const url = this.url(pathOrLink);
    return this.limit(async () => {
      let renewed = false;
      let fresh = false;
      for (let attempt = 1; ; attempt++) {
        await this.waitOutThrottle();
        const res = await this.fetchOnce(url, req, fresh);
        fresh = false;
        if (res.ok) return read(res);
        // An app-only token Graph calls expired or invalid is taken anew from the token service, once.
        if (res.status === 401 && !renewed) {
          await res.body?.cancel();
          renewed = fresh = true;
          continue;
        }
        const err = await graphErrorOf(res, readLimited);
        if (err.code !== 'throttled' || attempt >= throttledTries) throw err;
        const wait = Math.min(retryAfterMs(res.headers.get('retry-after'), attempt), longestPauseMs);
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + wait);
        for (const w of this.throttleWatchers) w(wait);
      }
    });
  }

  /** Waits out the pause Graph asked for; a long one fails the request now instead (never a silent hang). */
  private async waitOutThrottle(): Promise<void> {
    const wait = this.pausedUntil - Date.now();
    if (wait > longestWaitMs)
      throw new GraphError('throttled', {
        status: 429,
        message: `Graph asked this mailbox to wait ${Math.round(wait / 1000)} s more`,
      });
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }

  private async fetchOnce(url: string, req: GraphRequest, fresh: boolean): Promise<Response> {
    const token = await this.bearer(fresh);
    this.props.onRequest?.();
    try {
      return await (this.props.fetchImpl ?? fetch)(url, {
        method: req.method ?? 'GET',
        headers: { ...req.headers, authorization: `Bearer ${token}` },
        body: req.body,
        // A redirect would take the request (and its answer) off GRAPH_URL's host.
        redirect: 'error',
        signal: AbortSignal.timeout(Math.ceil(req.timeoutMs ?? 30_000)),
      });
    } catch (err) {
      // The socket's or TLS's own words (ECONNREFUSED, a certificate code) stay with the error for the log.
      const e = err as { name?: unknown; cause?: { code?: unknown; message?: unknown } };
      const why = String(e.cause?.code ?? e.cause?.message ?? e.name ?? 'error');
      throw new GraphError('unreachable', {
        status: null,
        message: `Graph cannot be reached: ${why}`,
        cause: err,
      });
    }
  }

  /** The app's token: msal's cache hands out the same one until five minutes before it expires. */
  private async bearer(fresh: boolean): Promise<string> {
    try {
      return (await this.props.tokens({ fresh })).token;
    } catch (err) {
      if (err instanceof EntraTokenError) throw err;
      throw new GraphError('token_refused', { status: null, message: 'no token for Graph', cause: err });
    }
  }
}

/** Reads a body chunk by chunk and stops (cancelling the rest) as soon as it passes `maxBytes`. */
export async function readLimited(res: Response, maxBytes: number): Promise<LimitedBody> {
  const announced = Number(res.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(announced) && announced > maxBytes) {
    await res.body?.cancel();
    return { bytes: null, whole: false, size: announced };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  if (!res.body) return { bytes: Buffer.alloc(0), whole: true };
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return { bytes: null, whole: false, size };
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return { bytes: Buffer.concat(chunks, size), whole: true };
}
