import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** A key prefix unique to one test (file), e.g. `csp-test-3f9a0c1d2e4b`; keys live under `${prefix}:…`. */
export function testRedisPrefix(): string {
  return `csp-test-${randomBytes(6).toString('hex')}`;
}

/** Deletes every key matching `${prefix}:*` (SCAN, so it never blocks Redis). Returns how many were deleted. */
export async function cleanupRedisPrefix(prefix: string, url = DEFAULT_TEST_REDIS_URL): Promise<number> {
  if (!prefix) throw new Error('cleanupRedisPrefix: empty prefix would match every key');
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => {});
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
  return deleted;
}
