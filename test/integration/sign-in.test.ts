import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAgent } from '../support/agents.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// Signing in to the admin: ADMIN_EMAIL / ADMIN_PASSWORD make the first admin; a session cookie (HTTP-only,
// SameSite) opens /api as well as the bearer token does; state changes need the CSRF token; agents see cases
// but no admin call; attempts are limited; an agent made inactive is signed out.

const admin = { email: 'owner@partner.example', password: 'correct horse battery staple' };

/** A browser-like client: keeps the session cookie it is given, sends it back. */
function client(base: string) {
  let cookie = '';
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const set = res.headers.getSetCookie().find((c) => c.startsWith('csp_session='));
    if (set) cookie = set.split(';')[0]!;
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, setCookie: set ?? null };
  };
  return { call, cookie: () => cookie };
}

describe('admin sign-in, sessions and CSRF', () => {
  let p: ProductUnderTest;

  beforeAll(async () => {
    p = await startProduct({ ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password });
  });

  afterAll(async () => {
    await p?.stop();
  });

  it('the first admin signs in; the session opens /api, and a change needs the CSRF token', async () => {
    const c = client(p.url);
    expect((await c.call('GET', '/admin/session')).status).toBe(401);
    expect((await c.call('GET', '/api/cases')).status).toBe(401);
    const wrong = await c.call('POST', '/admin/sign-in', { email: admin.email, password: 'wrong' });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'sign_in_failed' } });
    const ok = await c.call('POST', '/admin/sign-in', {
      email: 'Owner@Partner.example',
      password: admin.password,
    });
    expect(ok.status).toBe(200);
    expect(ok.setCookie).toMatch(/HttpOnly/i);
    expect(ok.setCookie).toMatch(/SameSite=Lax/i);
    const csrf = ok.body.csrfToken as string;
    expect((await c.call('GET', '/admin/session')).body.agent).toMatchObject({
      email: admin.email,
      role: 'admin',
    });
    expect((await c.call('GET', '/api/cases')).status).toBe(200);
    const plan = {
      name: 'Standard',
      supportType: 'スタンダード サポート',
      hours: { timeZone: 'Asia/Tokyo', always: true, weekly: [], holidays: [] },
      contactMethods: [{ kind: 'email', value: 'support@example.test' }],
      price: { included: true },
      responseTargets: { normal: 'P1D' },
    };
    expect(await c.call('POST', '/api/plans', plan)).toMatchObject({
      status: 403,
      body: { error: 'csrf_invalid' },
    });
    expect((await c.call('POST', '/api/plans', plan, { 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await c.call('POST', '/api/plans', plan, { 'x-csrf-token': csrf })).status).toBe(201);
    const audit = await c.call('GET', '/api/audit?entity=plan');
    expect(audit.body.items[0].actor).toBe(`agent:${admin.email}`);

    const stolen = c.cookie();
    expect((await c.call('POST', '/admin/sign-out', {}, { 'x-csrf-token': csrf })).status).toBe(200);
    expect((await c.call('GET', '/api/cases')).status).toBe(401);
    // A copy of the cookie kept from before signing out is void too.
    const replay = await fetch(`${p.url}/api/cases`, { headers: { cookie: stolen } });
    expect(replay.status).toBe(401);
  });

  it('an agent sees cases but gets 403 from admin calls; made inactive, the session ends', async () => {
    const agentId = await addAgent(p, {
      email: 'kato@partner.example',
      name: '加藤 恵',
      locale: 'ja',
      ...({ password: 'agent password 12345' } as object),
    });
    const c = client(p.url);
    const signed = await c.call('POST', '/admin/sign-in', {
      email: 'kato@partner.example',
      password: 'agent password 12345',
    });
    expect(signed.status).toBe(200);
    expect((await c.call('GET', '/api/cases')).status).toBe(200);
    expect((await c.call('GET', '/api/templates')).status).toBe(403);
    expect((await c.call('GET', '/api/audit')).status).toBe(403);
    expect((await c.call('POST', '/api/plans', {}, { 'x-csrf-token': signed.body.csrfToken })).status).toBe(
      403,
    );
    // Working a case is the agent's: with the CSRF token the call gets through (no such case here), without it not.
    const csrf = { 'x-csrf-token': signed.body.csrfToken };
    expect((await c.call('PATCH', '/api/cases/999999', { status: 'open' }, csrf)).status).toBe(404);
    expect((await c.call('PATCH', '/api/cases/999999', { status: 'open' })).status).toBe(403);
    expect((await p.api('PATCH', `/api/agents/${agentId}`, { active: false })).status).toBe(200);
    expect((await c.call('GET', '/api/cases')).status).toBe(401);
  });

  it('shows the queue dashboard at /admin/queues to a signed-in admin only', async () => {
    const anonymous = await fetch(`${p.url}/admin/queues`);
    expect(anonymous.status).toBe(401);
    const anonymousApi = await fetch(`${p.url}/admin/queues/api/queues`);
    expect(anonymousApi.status).toBe(401);
    const c = client(p.url);
    expect((await c.call('POST', '/admin/sign-in', admin)).status).toBe(200);
    const page = await fetch(`${p.url}/admin/queues`, { headers: { cookie: c.cookie() } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root"');
    const api = await c.call('GET', '/admin/queues/api/queues');
    expect(api.status).toBe(200);
    expect(api.body.queues.map((q: { name: string }) => q.name).sort()).toEqual([
      'ingest',
      'outbound',
      'triage',
    ]);
  });

  it('answers 401, not 404, for an /api path that does not exist unless the caller is signed in', async () => {
    for (const path of ['/api/nothing-here', '/%61pi/templates/x/y/z', '//api/secret', '/api'])
      expect({ path, status: (await fetch(`${p.url}${path}`)).status }).toEqual({ path, status: 401 });
    expect((await p.api('GET', '/api/nothing-here')).status).toBe(404);
    expect((await fetch(`${p.url}/not-api`)).status).toBe(404);
  });

  it('limits sign-in attempts per address: after 5 wrong ones even the right password waits', async () => {
    const c = client(p.url);
    for (let i = 0; i < 5; i++)
      expect(
        (await c.call('POST', '/admin/sign-in', { email: admin.email, password: `guess ${i}` })).status,
      ).toBe(401);
    const limited = await c.call('POST', '/admin/sign-in', admin);
    expect(limited).toMatchObject({ status: 429, body: { error: 'too_many_attempts' } });
    expect((await c.call('POST', '/admin/sign-in', { email: 'not json' })).status).toBe(400);
  });

  it('counts guesses sent at once: of 12 in parallel for one address, 5 are tried and 7 wait', async () => {
    const c = client(p.url);
    const email = 'parallel@partner.example';
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        c.call('POST', '/admin/sign-in', { email, password: `guess ${i}` }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });
});
