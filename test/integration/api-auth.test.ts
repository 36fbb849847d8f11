import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeDocs } from '../../src/admin/api-docs.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// Every /api route answers 401 without a token, however its path is spelled: the check sits on the routes,
// not on a URL prefix, so a spelling the router still matches cannot slip past it.

/** One raw HTTP/1.1 request, so that no client tidies the request line first. Resolves with the status. */
function rawRequest(port: number, method: string, target: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let head = '';
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${method} ${target}`)));
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (m) {
        resolve(Number(m[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close'];
    if (body !== undefined)
      lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
  });
}

/** Sample values for route parameters, so each route is reached rather than refused by its own checks. */
function fill(url: string): string {
  return url
    .replace(':number', '1001')
    .replace(':id', '00000000-0000-4000-8000-000000000001')
    .replace(/:[A-Za-z]+/g, 'x');
}

/** Spellings of one path that a router or a proxy may take for the same route (`/api/...`, `/admin/...`). */
function spellings(path: string, port: number): string[] {
  const first = path.split('/')[1]!;
  const rest = path.slice(first.length + 1);
  const encodeOne = (s: string, i: number) =>
    `${s.slice(0, i)}%${s.charCodeAt(i).toString(16).padStart(2, '0')}${s.slice(i + 1)}`;
  const out = [
    path,
    encodeOne(path, 1),
    encodeOne(path, first.length),
    `/%${first.toUpperCase().charCodeAt(0).toString(16)}${first.slice(1).toUpperCase()}${rest}`,
    `//${first}${rest}`,
    `/${first}/${rest}`,
    `${path}/`,
    `${path};x=1`,
    `/${first};x${rest}`,
    `/./${first}${rest}`,
    `/x/../${first}${rest}`,
    `http://127.0.0.1:${port}${path}`,
    `http://evil.example${path}`,
  ];
  // A percent-encoded letter inside the next segment too: /api/%63ases.
  if (rest.length > 2) out.push(encodeOne(path, path.indexOf('/', 1) + 1));
  return [...new Set(out)];
}

describe('API authentication on routes, not on URL prefixes', () => {
  let p: ProductUnderTest;
  let port: number;

  beforeAll(async () => {
    p = await startProduct();
    port = Number(new URL(p.url).port);
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('registers the API routes where the walk below can see them', () => {
    const api = p.runtime.routes.filter((r) => r.url.startsWith('/api'));
    // The case, customer and plan routes at least; a new route joins the walk by itself.
    expect(api.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(['GET /api/cases', 'GET /api/customers', 'POST /api/plans']),
    );
  });

  it('answers every API route without a token with 401 under every spelling, never with data', async () => {
    const api = p.runtime.routes.filter((r) => r.url.startsWith('/api') && r.method !== 'HEAD');
    const leaks: string[] = [];
    let refused = 0;
    for (const route of api) {
      const path = fill(route.url);
      const body = ['POST', 'PUT', 'PATCH'].includes(route.method) ? '{}' : undefined;
      const plain = await rawRequest(port, route.method, path, body);
      if (plain !== 401) leaks.push(`${route.method} ${path} -> ${plain} (plain spelling must be 401)`);
      for (const target of spellings(path, port)) {
        const status = await rawRequest(port, route.method, target, body);
        // 401: refused; 400/404: the router did not take this spelling for a route. Anything else leaks.
        if (status === 401) refused++;
        else if (status !== 400 && status !== 404) leaks.push(`${route.method} ${target} -> ${status}`);
      }
    }
    expect(leaks).toEqual([]);
    expect(refused).toBeGreaterThan(api.length);
  });

  it('sends every admin page to the sign-in without a session, never the page, however it is spelled', async () => {
    const open = new Set(['/admin/sign-in', '/admin/session', '/admin/assets/:name']);
    const pages = p.runtime.routes.filter(
      (r) =>
        r.method === 'GET' &&
        r.url.startsWith('/admin') &&
        !open.has(r.url) &&
        !r.url.startsWith('/admin/queues'),
    );
    expect(pages.map((r) => r.url)).toEqual(
      expect.arrayContaining(['/admin', '/admin/cases/:number', '/admin/templates']),
    );
    const leaks: string[] = [];
    for (const route of pages) {
      for (const target of spellings(fill(route.url), port)) {
        const status = await rawRequest(port, 'GET', target);
        // 302: to the sign-in; 400/404: the router did not take this spelling for a page.
        if (![302, 400, 404].includes(status)) leaks.push(`GET ${target} -> ${status}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it('documents every API route in the OpenAPI document, with the schemas its input is checked with', async () => {
    const api = p.runtime.routes.filter((r) => r.url.startsWith('/api') && r.method !== 'HEAD');
    const undocumented = api.map((r) => `${r.method} ${r.url}`).filter((k) => !routeDocs[k]);
    expect(undocumented).toEqual([]);
    const stale = Object.keys(routeDocs).filter((k) => !api.some((r) => `${r.method} ${r.url}` === k));
    expect(stale).toEqual([]);
    const doc = await p.api<{
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
      >;
    }>('GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const ops = Object.values(doc.body.paths).flatMap((o) => Object.keys(o));
    expect(ops.length).toBe(api.length);
    const plan = doc.body.paths['/api/plans']!.post!.requestBody!.content['application/json']!.schema as {
      required: string[];
      properties: Record<string, unknown>;
    };
    expect(plan.required).toEqual(
      expect.arrayContaining(['name', 'supportType', 'hours', 'contactMethods', 'price']),
    );
    expect(Object.keys(plan.properties)).toContain('responseTargets');
    const page = await fetch(`${p.url}/api/docs`, {
      headers: { authorization: 'Bearer test-admin-token-0123456789' },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<code>PUT /api/templates/{key}/{locale}</code>');
  });

  it('refuses a wrong token and a malformed Authorization header alike', async () => {
    for (const authorization of ['Bearer wrong-token-0123456789', 'Basic dXNlcjpwYXNz', 'Bearer', '']) {
      const res = await fetch(`${p.url}/api/cases`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'unauthorized' });
    }
    const ok = await p.api('GET', '/api/cases');
    expect(ok.status).toBe(200);
  });

  it('lets an authenticated absolute-form request through, so the check is not on spelling', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('data', (c) => {
        resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(c.toString('latin1'))?.[1]));
        socket.destroy();
      });
      socket.on('error', reject);
      socket.write(
        `GET http://127.0.0.1:${port}/%61pi/cases HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
          'Authorization: Bearer test-admin-token-0123456789\r\nConnection: close\r\n\r\n',
      );
    });
    expect([200, 404]).toContain(status);
  });
});
