import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityHashFor } from '../../src/channels/chat/identity.js';
import { connectVisitor } from '../support/chat-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/eventually.js';
import { customerInput, standardPlan } from '../support/factories.js';
import { apiToken } from '../support/product.js';
import { type ProductProcess, spawnProduct } from '../support/product-process.js';
import { cleanupRedisPrefix, testRedisPrefix } from '../support/redis.js';

// Two gateway processes and a worker process against one Postgres and one Redis.

const identitySecret = 'chat-identity-secret-for-tests-0123';

describe('chat across processes: two gateways and a worker share rooms through Redis', () => {
  let db: TestDatabase;
  let prefix: string;
  let gatewayA: ProductProcess;
  let gatewayB: ProductProcess;
  let worker: ProductProcess;

  const api = async (base: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const until = <T>(fn: () => T | undefined, what: string, ms = 15_000): Promise<T> =>
    eventually(fn, { timeoutMs: ms, what });

  beforeAll(async () => {
    db = await createTestDatabase();
    prefix = testRedisPrefix();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: prefix,
      ADMIN_API_TOKEN: apiToken,
      CHAT_IDENTITY_SECRET: identitySecret,
      SECRET_KEY: 'session-signing-key-for-tests-0123456789',
      LOG_LEVEL: 'info',
    };
    gatewayA = await spawnProduct({ ...env, ROLE: 'api' });
    gatewayB = await spawnProduct({ ...env, ROLE: 'api' });
    worker = await spawnProduct({ ...env, ROLE: 'worker' }, 30_000, 'log');
    const plan = await api(gatewayA.url, 'POST', '/api/plans', standardPlan);
    expect(plan.status).toBe(201);
    const customer = await api(
      gatewayA.url,
      'POST',
      '/api/customers',
      customerInput({ planId: String(plan.body.id) }),
    );
    expect(customer.status).toBe(201);
  });

  afterAll(async () => {
    for (const p of [gatewayA, gatewayB, worker]) await p?.kill('SIGTERM');
    await db?.drop();
    if (prefix) await cleanupRedisPrefix(prefix);
  });

  it('a visitor on gateway A gets the worker’s replies, and resumes the same conversation on gateway B', async () => {
    const email = 'taro@contoso.co.jp';
    const onA = await connectVisitor(gatewayA.url, {
      email,
      identityHash: identityHashFor(email, identitySecret),
    });
    expect(onA.session.verified).toBe(true);
    const ack = await onA.send('Teams の会議に参加できません');
    expect(ack.caseNumber).toBeGreaterThan(0);
    // The acknowledgement is written by the worker process and reaches gateway A's socket through Redis.
    const system = await until(
      () => onA.received.find((m) => m.author === 'system'),
      'the acknowledgement on A',
    );
    expect(system.text).toContain(String(ack.caseNumber));

    // An agent answer posted on gateway B, sent by the worker, reaches the visitor on gateway A.
    const posted = await api(gatewayB.url, 'POST', `/api/cases/${ack.caseNumber}/replies`, {
      text: 'Web 版からお試しください。',
    });
    expect(posted.status).toBe(201);
    const agent = await until(() => onA.received.find((m) => m.author === 'agent'), 'the agent answer on A');
    expect(agent.id).toBe(posted.body.id);

    // The visitor reconnects to the other gateway with the session token: same case, same history.
    onA.close();
    const onB = await connectVisitor(gatewayB.url, { sessionToken: onA.session.sessionToken });
    expect(onB.session.caseNumber).toBe(ack.caseNumber);
    expect(onB.session.messages.map((m) => m.author)).toEqual(['customer', 'system', 'agent']);
    const second = await onB.send('ありがとうございます、Web 版で参加できました');
    expect(second.caseNumber).toBe(ack.caseNumber);
    const more = await api(gatewayA.url, 'POST', `/api/cases/${ack.caseNumber}/replies`, {
      text: '承知しました。',
    });
    const last = await until(() => onB.received.find((m) => m.id === more.body.id), 'the second answer on B');
    expect(last.text).toBe('承知しました。');
    onB.close();
  });
});
