import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually as pollUntil } from '../support/eventually.js';
import { type ProductProcess, spawnProduct } from '../support/product-process.js';
import { cleanupRedisPrefix, testRedisPrefix } from '../support/redis.js';
import { type SwitchableProxy, startSwitchableProxy } from '../support/switchable-proxy.js';

// Redis going away and coming back, as an operator reads it: one JSON line when it goes, one when it is back,
// /readyz naming it meanwhile without a driver's error text, and no plain-text noise per retry.

const eventually = <T>(fn: () => Promise<T | null | false>, what: string, ms = 30_000): Promise<T> =>
  pollUntil(fn, { timeoutMs: ms, intervalMs: 100, what });

const jsonLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; component?: string });

describe('Redis outage in the logs and /readyz', () => {
  let db: TestDatabase;
  let proxy: SwitchableProxy;
  let product: ProductProcess;
  const prefix = testRedisPrefix();

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startSwitchableProxy({ host: '127.0.0.1', port: 6379 });
    product = await spawnProduct({
      DATABASE_URL: db.url,
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      REDIS_PREFIX: prefix,
      SUPPORT_ADDRESS: 'support@example.test',
      ADMIN_API_TOKEN: 'test-admin-token-0123456789',
      LOG_LEVEL: 'info',
    });
  });
  afterAll(async () => {
    await product?.kill('SIGKILL');
    await proxy?.close();
    await db?.drop();
    await cleanupRedisPrefix(prefix);
  });

  it('logs one line when Redis goes and one when it is back, and /readyz names it meanwhile', async () => {
    const before = product.output().length;
    proxy.off();
    const during = await eventually(async () => {
      const r = await fetch(`${product.url}/readyz`);
      const body = (await r.json()) as { checks: Record<string, string> };
      return r.status === 503 && body.checks.redis === 'unreachable' ? body : null;
    }, '/readyz to name Redis');
    expect(JSON.stringify(during)).not.toMatch(/ECONN|127\.0\.0\.1|Error/);
    // Wait for the clients to have retried many times: the noise, if any, is there by now.
    await eventually(async () => proxy.refused() >= 20, 'twenty reconnection attempts');
    proxy.on();
    await eventually(
      async () => (await fetch(`${product.url}/readyz`)).status === 200,
      '/readyz ready again',
    );
    await eventually(
      async () => jsonLines(product.output().slice(before)).some((l) => l.msg === 'redis available again'),
      'the recovery line',
    );

    const out = product.output().slice(before);
    expect(out).not.toContain('[ioredis]');
    expect(out).not.toContain('Unhandled error event');
    const lines = jsonLines(out);
    expect(lines.filter((l) => l.msg === 'redis unavailable')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'redis available again')).toHaveLength(1);
    // Nothing else about the outage at warn or above, one line per retry or per client.
    const noisy = lines.filter((l) => l.level >= 40 && !/^redis (unavailable|available again)$/.test(l.msg));
    expect(noisy.map((l) => l.msg)).toEqual([]);
  });
});
