import type { EventEmitter } from 'node:events';
import type { Logger } from './logger.js';
import { isTransient } from './pipeline/transient.js';

// Redis going away shows in the log as one line when it goes and one when it is back, however many clients
// this process holds and however often each retries. Every ioredis client of ours is watched here; BullMQ's
// own connections report through their queues' and workers' error events, which only count while an outage
// that a watched client saw is on.

export function isConnectionError(err: unknown): boolean {
  return (
    isTransient(err) ||
    /connection is closed|stream isn't writeable|reached the max retries/i.test(
      String((err as { message?: unknown } | null)?.message ?? ''),
    )
  );
}

export class RedisOutage {
  private readonly down = new Set<object>();
  private since: number | null = null;
  private lastCode: string | undefined;

  constructor(private readonly logger: Logger) {}

  /** Follows one ioredis client: its errors mark it down, `ready` marks it up again. */
  watch(client: EventEmitter): void {
    client.on('error', (err: Error) => this.failed(client, err));
    client.on('ready', () => this.recovered(client));
  }

  /**
   * An error event from a BullMQ queue or worker: a connection error during an outage is part of it (logged
   * at debug); anything else is worth its own line.
   */
  reportQueueError(source: string, err: Error): void {
    if (isConnectionError(err)) {
      this.logger.debug({ component: source, err: { message: err.message } }, 'queue connection error');
      return;
    }
    this.logger.error({ component: source, err }, 'queue error');
  }

  private failed(client: object, err: Error): void {
    this.down.add(client);
    this.lastCode = (err as { code?: string }).code ?? this.lastCode;
    if (this.since !== null) return;
    this.since = Date.now();
    this.logger.error(
      { component: 'redis', code: this.lastCode ?? 'redis_unreachable' },
      'redis unavailable',
    );
  }

  private recovered(client: object): void {
    this.down.delete(client);
    if (this.since === null || this.down.size > 0) return;
    this.logger.info({ component: 'redis', downForMs: Date.now() - this.since }, 'redis available again');
    this.since = null;
  }
}
