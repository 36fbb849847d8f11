import { describe, expect, it } from 'vitest';
import {
  RelayOutageError,
  RelayTemporaryError,
  SmtpPermanentError,
} from '../../src/channels/email/smtp-errors.js';
import { graphSendFailure } from '../../src/channels/graph/graph-sender.js';
import { GraphClient, readLimited } from '../../src/microsoft/graph-client.js';
import { GraphError, graphErrorOf, retryAfterMs } from '../../src/microsoft/graph-errors.js';

// The Graph client's rules, against answers made here (the integration test runs them against the double).

const base = 'https://graph.example.test/v1.0';
const graphError = (status: number, code: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ error: { code, message: `${code} happened` } }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

function client(answers: Array<Response | Error>, tokensAsked: boolean[] = []) {
  const seen: Array<{ url: string; auth: string }> = [];
  const c = new GraphClient({
    baseUrl: base,
    tokens: async (opts) => {
      tokensAsked.push(!!opts?.fresh);
      return { token: `tok-${tokensAsked.length}`, expiresOn: new Date(Date.now() + 3_600_000) };
    },
    fetchImpl: async (url, init) => {
      seen.push({
        url: String(url),
        auth: String((init?.headers as Record<string, string> | undefined)?.authorization),
      });
      const next = answers.shift();
      if (!next) throw new Error('no more answers');
      if (next instanceof Error) throw next;
      return next;
    },
  });
  return { c, seen };
}

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, and backs off without a header', () => {
    expect(retryAfterMs('10', 1)).toBe(10_000);
    const now = Date.parse('2026-12-07T00:00:00Z');
    expect(retryAfterMs('Mon, 07 Dec 2026 00:00:30 GMT', 1, now)).toBe(30_000);
    expect(retryAfterMs(null, 1)).toBe(2_000);
    expect(retryAfterMs(null, 3)).toBe(8_000);
    expect(retryAfterMs('soon', 2)).toBe(4_000);
  });
});

describe('graphErrorOf', () => {
  const code = async (res: Response) => (await graphErrorOf(res, readLimited)).code;
  it('names what an answer means for the mailbox', async () => {
    expect(await code(graphError(429, 'TooManyRequests'))).toBe('throttled');
    expect(await code(graphError(503, 'ServiceUnavailable', { 'retry-after': '5' }))).toBe('throttled');
    expect(await code(graphError(503, 'ServiceUnavailable'))).toBe('graph_failed');
    expect(await code(graphError(403, 'ErrorAccessDenied'))).toBe('permission_missing');
    expect(await code(graphError(404, 'ErrorInvalidUser'))).toBe('mailbox_not_found');
    expect(await code(graphError(404, 'ErrorItemNotFound'))).toBe('request_refused');
    expect(await code(graphError(410, 'SyncStateNotFound'))).toBe('sync_state_lost');
    expect(await code(graphError(413, 'RequestEntityTooLarge'))).toBe('too_large');
    expect(await code(new Response('<html>proxy</html>', { status: 502 }))).toBe('graph_failed');
  });

  it('reads no more than 64 KB of an error body', async () => {
    const huge = new Response(`{"error":{"code":"X","message":"${'a'.repeat(1_000_000)}"}}`, { status: 500 });
    const err = await graphErrorOf(huge, readLimited);
    expect(err.graphCode).toBeNull();
    expect(err.message.length).toBeLessThan(400);
  });
});

describe('GraphClient', () => {
  it('refuses a paging link on another host, which would carry the token there', () => {
    const { c } = client([]);
    expect(c.url('/users/a/messages')).toBe(`${base}/users/a/messages`);
    expect(c.url(`${base}/users/a/messages/delta?$skiptoken=x`)).toContain('$skiptoken=x');
    expect(() => c.url('https://evil.example/v1.0/users/a')).toThrow(GraphError);
    expect(() => c.url('http://graph.example.test/v1.0/users/a')).toThrow(GraphError);
  });

  it('takes a fresh token once after a 401, and only for the try right after it', async () => {
    const asked: boolean[] = [];
    const { c, seen } = client(
      [
        graphError(401, 'InvalidAuthenticationToken'),
        graphError(429, 'TooManyRequests', { 'retry-after': '0' }),
        Response.json({ ok: 1 }),
      ],
      asked,
    );
    expect(await c.json('/users/a/x')).toEqual({ ok: 1 });
    expect(asked).toEqual([false, true, false]);
    expect(seen).toHaveLength(3);
  });

  it('gives a second 401 to the caller as token_refused', async () => {
    const { c } = client([
      graphError(401, 'InvalidAuthenticationToken'),
      graphError(401, 'InvalidAuthenticationToken'),
    ]);
    await expect(c.json('/users/a/x')).rejects.toMatchObject({ code: 'token_refused' });
  });

  it('fails at once, without asking Graph, while a long Retry-After runs, and tells its watchers', async () => {
    const waits: number[] = [];
    const { c, seen } = client([graphError(429, 'TooManyRequests', { 'retry-after': '600' })]);
    c.onThrottled((ms) => waits.push(ms));
    await expect(c.json('/users/a/x')).rejects.toMatchObject({ code: 'throttled' });
    expect(waits).toEqual([600_000]);
    await expect(c.json('/users/a/y')).rejects.toMatchObject({ code: 'throttled' });
    expect(seen).toHaveLength(1);
  });

  it('names a network failure unreachable, with the socket code for the log', async () => {
    const { c } = client([Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })]);
    await expect(c.json('/users/a/x')).rejects.toMatchObject({
      code: 'unreachable',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('stops reading a body past its limit, whether announced or streamed', async () => {
    const announced = new Response('x'.repeat(100), { headers: { 'content-length': '100' } });
    expect(await readLimited(announced, 10)).toEqual({ bytes: null, whole: false, size: 100 });
    const stream = new ReadableStream({
      start(ctl) {
        for (let i = 0; i < 5; i++) ctl.enqueue(new Uint8Array(8));
        ctl.close();
      },
    });
    expect(await readLimited(new Response(stream), 20)).toMatchObject({ whole: false });
    const ok = await readLimited(new Response('hello'), 10);
    expect(ok.whole && ok.bytes.toString()).toBe('hello');
  });

  it('refuses a JSON answer larger than its limit', async () => {
    const { c } = client([Response.json({ value: 'x'.repeat(100) })]);
    await expect(c.json('/users/a/x', {}, 50)).rejects.toMatchObject({ code: 'request_refused' });
  });
});

describe('graphSendFailure', () => {
  const err = (code: GraphError['code'], graphCode: string | null = null, status = 400) =>
    new GraphError(code, { status, message: 'm', graphCode });
  it('pauses sending for what is wrong with the mailbox, fails only what is wrong with the mail', () => {
    expect(graphSendFailure(err('permission_missing', 'ErrorAccessDenied', 403))).toBeInstanceOf(
      RelayOutageError,
    );
    expect((graphSendFailure(err('throttled', null, 429)) as RelayOutageError).state).toBe('relay_throttled');
    expect(graphSendFailure(err('request_refused', 'ErrorInvalidRecipients'))).toBeInstanceOf(
      SmtpPermanentError,
    );
    expect(graphSendFailure(err('too_large', null, 413))).toBeInstanceOf(SmtpPermanentError);
    expect(graphSendFailure(err('request_refused', null, 409))).toBeInstanceOf(RelayTemporaryError);
    expect(graphSendFailure(err('graph_failed', null, 500))).toBeInstanceOf(RelayTemporaryError);
  });
});
