import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { type ParsedMail, simpleParser } from 'mailparser';
import type { EntraDouble } from './entra-double.js';

// A Microsoft 365 mailbox as Microsoft Graph serves it, on the Entra double's host, following the documented
// shapes: the inbox's delta query (pages with @odata.nextLink, then @odata.deltaLink; 410 SyncStateNotFound
// for a link it no longer knows), a message's raw MIME at /$value, its internet headers and text body,
// its attachments, and sendMail taking base64 MIME (202). Every request needs a token the Entra double issued
// and still holds valid (401 InvalidAuthenticationToken otherwise). It can throttle (429 with Retry-After),
// refuse the app (403), and answer slowly, and it records what it was asked and how many requests ran at once.

export interface GraphMessage {
  id: string;
  receivedDateTime: string;
  mime: Buffer;
  /** Order of arrival: what a delta link has seen. */
  seq: number;
}

export interface SentMail {
  mime: Buffer;
  parsed: ParsedMail;
}

export interface GraphRequestRecord {
  at: number;
  method: string;
  path: string;
  /** The query string, `?` included ('' when none). */
  search: string;
  status: number;
}

export interface GraphMailboxDouble {
  address: string;
  /** Puts a mail in the inbox; returns its Graph id. */
  deliver(mime: string | Buffer, receivedAt?: Date): string;
  /** The next `n` requests are answered 429 with `Retry-After: seconds`. */
  throttleNext(n: number, retryAfterSeconds: number): void;
  /** While set, every request is answered 403 ErrorAccessDenied (Mail.ReadWrite not granted). */
  setForbidden(forbidden: boolean): void;
  /** Every delta link and paging link handed out so far is forgotten (410 SyncStateNotFound). */
  forgetDeltaLinks(): void;
  /** Every answer waits this long first. */
  setLatency(ms: number): void;
  /** At most this many messages per delta page, whatever the client asks for. */
  setMaxPageSize(n: number): void;
  /** Mails sent, parsed (unless `parseSent` was false). */
  sent: SentMail[];
  /** Called with each sent mail's raw MIME as it arrives, before it is parsed. */
  onSent: ((mime: Buffer) => void) | null;
  requests: GraphRequestRecord[];
  /** $value reads per message id. */
  valueReads: Map<string, number>;
  /** The most requests that were in progress at once. */
  maxInFlight(): number;
  resetMaxInFlight(): void;
}

interface DeltaToken {
  /** Sequence numbers below this were seen already. */
  from: number;
  /** Of the initial sync: messages up to this sequence are listed, page by page. */
  until?: number;
  gen: number;
}

const encodeToken = (t: DeltaToken) => Buffer.from(JSON.stringify(t)).toString('base64url');
const decodeToken = (raw: string): DeltaToken | null => {
  try {
    return JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as DeltaToken;
  } catch {
    return null;
  }
};

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function graphError(res: http.ServerResponse, status: number, code: string, message: string, headers = {}) {
  json(res, status, { error: { code, message, innerError: { date: new Date().toISOString() } } }, headers);
}

function readRaw(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function startGraphMailboxDouble(
  entra: EntraDouble,
  address: string,
  /** `parseSent: false` keeps no parsed copy of what is sent (a bench's thousands of acks). */
  opts: { parseSent?: boolean } = {},
): GraphMailboxDouble {
  const messages: GraphMessage[] = [];
  let seq = 0;
  let gen = 1;
  let throttle = { n: 0, seconds: 0 };
  let forbidden = false;
  let latency = 0;
  let maxPage = 1000;
  let inFlight = 0;
  let maxInFlight = 0;
  const double: GraphMailboxDouble = {
    address,
    deliver(mime, receivedAt = new Date()) {
      const id = `AAMkAD${randomBytes(24).toString('base64url')}=`;
      messages.push({ id, receivedDateTime: receivedAt.toISOString(), mime: Buffer.from(mime), seq: ++seq });
      return id;
    },
    throttleNext: (n, seconds) => {
      throttle = { n, seconds };
    },
    setForbidden: (f) => {
      forbidden = f;
    },
    forgetDeltaLinks: () => {
      gen++;
    },
    setLatency: (ms) => {
      latency = ms;
    },
    setMaxPageSize: (n) => {
      maxPage = n;
    },
    sent: [],
    onSent: null,
    requests: [],
    valueReads: new Map(),
    maxInFlight: () => maxInFlight,
    resetMaxInFlight: () => {
      maxInFlight = inFlight;
    },
  };
  const userPrefix = '/v1.0/users/';
  const origin = () => new URL(entra.graphUrl).origin;

  /** One delta page from `token`: messages after `from`, at most `size`, then the next link. */
  function deltaPage(res: http.ServerResponse, token: DeltaToken, size: number) {
    const until = token.until ?? seq;
    const fresh = messages.filter((m) => m.seq > token.from && m.seq <= until);
    const page = fresh.slice(0, size);
    const base = `${origin()}/v1.0/users/${encodeURIComponent(address)}/mailFolders('inbox')/messages/delta`;
    const last = page.length ? page[page.length - 1]!.seq : until;
    const more = fresh.length > page.length;
    const link = more
      ? { '@odata.nextLink': `${base}?$skiptoken=${encodeToken({ from: last, until, gen: token.gen })}` }
      : { '@odata.deltaLink': `${base}?$deltatoken=${encodeToken({ from: until, gen: token.gen })}` };
    json(res, 200, {
      '@odata.context': `${origin()}/v1.0/$metadata#Collection(message)`,
      ...link,
      value: page.map((m) => ({
        '@odata.type': '#microsoft.graph.message',
        '@odata.etag': `W/"${m.seq}"`,
        id: m.id,
        receivedDateTime: m.receivedDateTime,
      })),
    });
  }

  function delta(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const raw = url.searchParams.get('$skiptoken') ?? url.searchParams.get('$deltatoken');
    const token = raw ? decodeToken(raw) : { from: 0, gen };
    if (!token || token.gen !== gen)
      return graphError(
        res,
        410,
        'SyncStateNotFound',
        'The sync state generation is not found; the delta link has expired or is not valid.',
      );
    // `Prefer: odata.maxpagesize=N` is a wish: the service may send fewer.
    const wish = /odata\.maxpagesize=(\d+)/.exec(String(req.headers.prefer ?? ''))?.[1];
    deltaPage(res, token, Math.min(Number(wish ?? 10), maxPage));
  }

  async function message(res: http.ServerResponse, m: GraphMessage, rest: string, url: URL) {
    if (rest === '/$value') {
      double.valueReads.set(m.id, (double.valueReads.get(m.id) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(m.mime.length) });
      return res.end(m.mime);
    }
    const parsed = await simpleParser(m.mime);
    if (rest === '/attachments')
      return json(res, 200, {
        value: parsed.attachments.map((a) => ({
          name: a.filename,
          contentType: a.contentType,
          size: a.size,
        })),
      });
    if (rest === '' && url.searchParams.get('$select')?.includes('internetMessageHeaders'))
      return json(res, 200, {
        id: m.id,
        internetMessageHeaders: parsed.headerLines.map((l) => ({
          name: l.key,
          value: l.line.slice(l.line.indexOf(':') + 1).trim(),
        })),
        body: { contentType: 'text', content: parsed.text ?? '' },
      });
    return graphError(res, 400, 'BadRequest', 'Unsupported request in this double.');
  }

  async function sendMail(req: http.IncomingMessage, res: http.ServerResponse) {
    const body = (await readRaw(req)).toString('latin1').trim();
    if (req.headers['content-type'] !== 'text/plain' || !/^[A-Za-z0-9+/=\r\n]+$/.test(body))
      return graphError(
        res,
        400,
        'ErrorMimeContentInvalidBase64String',
        'Invalid base64 string for MIME content.',
      );
    const mime = Buffer.from(body, 'base64');
    double.onSent?.(mime);
    if (opts.parseSent !== false) double.sent.push({ mime, parsed: await simpleParser(mime) });
    res.writeHead(202);
    res.end();
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    if (throttle.n > 0) {
      throttle.n--;
      return graphError(res, 429, 'TooManyRequests', 'Please retry again later.', {
        'retry-after': String(throttle.seconds),
      });
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!entra.valid(token))
      return graphError(
        res,
        401,
        'InvalidAuthenticationToken',
        'Lifetime validation failed, the token is expired.',
      );
    if (forbidden)
      return graphError(res, 403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    const rest = decodeURIComponent(url.pathname.slice(userPrefix.length));
    const user = rest.slice(0, rest.indexOf('/'));
    const sub = url.pathname.slice(userPrefix.length + encodeURIComponent(user).length);
    if (user.toLowerCase() !== address.toLowerCase())
      return graphError(res, 404, 'ErrorInvalidUser', `The requested user '${user}' is invalid.`);
    if (req.method === 'GET' && /^\/mailFolders(\/inbox|\('inbox'\))\/messages\/delta$/.test(sub))
      return delta(req, res, url);
    if (req.method === 'POST' && sub === '/sendMail') return sendMail(req, res);
    const m = /^\/messages\/([^/]+)(\/\$value|\/attachments)?$/.exec(sub);
    const found = m && req.method === 'GET' ? messages.find((x) => x.id === decodeURIComponent(m[1]!)) : null;
    if (m && !found)
      return graphError(res, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    if (found) return message(res, found, m![2] ?? '', url);
    return graphError(res, 400, 'BadRequest', 'Unsupported request in this double.');
  }

  entra.addGraphHandler(async (req, res, url) => {
    if (!url.pathname.startsWith(userPrefix)) return false;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // Done once the handler ends the answer (the client cannot have all of it before), or the connection
    // went: the client shares this event loop and may send its next request before 'finish' is emitted.
    let done = false;
    const end = () => {
      if (!done) inFlight--;
      done = true;
    };
    const endResponse = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.end = ((...args: unknown[]) => {
      end();
      return endResponse(...args);
    }) as typeof res.end;
    res.on('close', () => {
      end();
      double.requests.push({
        at: Date.now(),
        method: req.method ?? '',
        path: url.pathname,
        search: url.search,
        status: res.statusCode,
      });
    });
    if (latency) await new Promise((r) => setTimeout(r, latency));
    await route(req, res, url);
    return true;
  });
  return double;
}
