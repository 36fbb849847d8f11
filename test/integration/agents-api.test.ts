import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// `/api/agents`: CRUD with a write-only password kept as an argon2id hash, one agent per address however
// it is spelled, input checked field by field, and every change in the audit log without the password.

interface AgentView {
  id: string;
  email: string;
  name: string;
  role: string;
  active: boolean;
  locale: string;
  hasPassword: boolean;
}

describe('agents API', () => {
  let p: ProductUnderTest;

  beforeAll(async () => {
    p = await startProduct();
  });

  afterAll(async () => {
    await p?.stop();
  });

  it('creates, reads, changes and deletes an agent; the password is hashed and never shown', async () => {
    const created = await p.api<AgentView>('POST', '/api/agents', {
      email: 'Sato@Partner.Example',
      name: '佐藤 花子',
      role: 'agent',
      locale: 'ja',
      password: 'correct horse battery',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      email: 'sato@partner.example',
      name: '佐藤 花子',
      role: 'agent',
      active: true,
      locale: 'ja',
      hasPassword: true,
    });
    expect(JSON.stringify(created.body)).not.toContain('correct horse');
    const { id } = created.body;

    const stored = await p.runtime.db
      .selectFrom('agents')
      .select(['password_hash'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^\$argon2id\$/);
    expect(await argon2.verify(stored.password_hash!, 'correct horse battery')).toBe(true);

    // The same address in other letters is the same agent.
    const twice = await p.api<{ error: string }>('POST', '/api/agents', {
      email: 'SATO@partner.example',
      name: 'Another',
      role: 'admin',
      locale: 'en',
    });
    expect(twice.status).toBe(409);

    const patched = await p.api<AgentView>('PATCH', `/api/agents/${id}`, { active: false, role: 'admin' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      active: false,
      role: 'admin',
      name: '佐藤 花子',
      hasPassword: true,
    });
    // A PATCH that does not name `active` leaves it as it is.
    const renamed = await p.api<AgentView>('PATCH', `/api/agents/${id}`, { name: 'Hanako Sato' });
    expect(renamed.body).toMatchObject({ active: false, name: 'Hanako Sato' });
    // PUT replaces the fields; a password left out keeps the stored one.
    const put = await p.api<AgentView>('PUT', `/api/agents/${id}`, {
      email: 'sato@partner.example',
      name: 'Sato',
      role: 'agent',
      locale: 'en',
    });
    expect(put.body).toMatchObject({ active: true, locale: 'en', hasPassword: true });

    const list = await p.api<{ items: AgentView[] }>('GET', '/api/agents');
    expect(list.body.items.map((a) => a.email)).toContain('sato@partner.example');

    const audit = await p.runtime.db
      .selectFrom('audit_log')
      .select(['action', 'before', 'after'])
      .where('entity', '=', 'agent')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['create', 'update', 'update', 'update']);
    expect(JSON.stringify(audit)).not.toMatch(/correct horse|argon2/);

    expect((await p.api('DELETE', `/api/agents/${id}`)).status).toBe(204);
    expect((await p.api('GET', `/api/agents/${id}`)).status).toBe(404);
  });

  it('refuses bad input with the field named, and unknown fields', async () => {
    const cases: [unknown, string][] = [
      [{ email: 'not-an-address', name: 'x', role: 'agent', locale: 'ja' }, 'email'],
      [{ email: 'a@b.example', name: 'x', role: 'owner', locale: 'ja' }, 'role'],
      [{ email: 'a@b.example', name: 'x', role: 'agent', locale: 'fr' }, 'locale'],
      [{ email: 'a@b.example', name: 'x', role: 'agent', locale: 'ja', password: 'short' }, 'password'],
      [
        { email: 'a@b.example', name: 'x', role: 'agent', locale: 'ja', passwordHash: '$argon2id$' },
        'passwordHash',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await p.api<{ error: string; message: string }>('POST', '/api/agents', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message).toContain(field);
    }
    expect((await p.api('GET', '/api/agents/not-a-uuid')).status).toBe(400);
  });
});
