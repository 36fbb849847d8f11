import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';

/** ioredis options from a redis:// URL; BullMQ needs maxRetriesPerRequest null on blocking connections. */
function redisOptions(url: string): RedisOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) || 0 : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

/** What BullMQ queues and workers connect with. */
export function queueConnection(url: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null };
}

export class RedisUnavailableError extends Error {
  readonly code = 'redis_unavailable';
}

/** Connects and pings once, so a missing Redis is one clear line at start-up rather than a retry storm. */
export async function connectRedis(url: string, watch: RedisWatch): Promise<Redis> {
  const redis = new Redis({
    ...redisOptions(url),
    lazyConnect: true,
    connectTimeout: 3000,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    const safe = url.replace(/\/\/[^@]*@/, '//***@');
    throw new RedisUnavailableError(
      `Redis not reachable at ${safe} (${(err as Error).message}): start it with 'redis-server --daemonize yes' or set REDIS_URL`,
    );
  }
  // From here on, reconnect forever: a Redis restart must not kill the process.
  redis.options.retryStrategy = (times: number) => Math.min(times * 200, 5000);
  watch.watch(redis);
  return redis;
}

/** Follows a client's connection for the one-line-per-outage log; without it an error prints per retry. */
export interface RedisWatch {
  watch(client: Redis): void;
}

/** A long-lived client that reconnects by itself (socket.io adapter, emitter, rate limits). */
export function redisClient(url: string, watch: RedisWatch): Redis {
  const client = new Redis({ ...redisOptions(url), enableOfflineQueue: true });
  watch.watch(client);
  return client;
}
