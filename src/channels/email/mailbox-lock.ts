import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

// One intake process per mailbox: a Redis lease that its holder renews and only its holder can release.

const renewScript = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const releaseScript = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface MailboxLockProps {
  redis: Redis;
  key: string;
  ttlMs?: number;
}

export class MailboxLock {
  private readonly token = randomUUID();
  private readonly ttlMs: number;

  constructor(private readonly props: MailboxLockProps) {
    // Short enough that a crashed holder's mailbox is taken over within seconds, long enough for GC pauses.
    this.ttlMs = props.ttlMs ?? 15_000;
  }

  get renewEveryMs(): number {
    return Math.floor(this.ttlMs / 3);
  }

  async acquire(): Promise<boolean> {
    return (await this.props.redis.set(this.props.key, this.token, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** False when the lease was lost (expired and taken by another process): stop pulling at once. */
  async renew(): Promise<boolean> {
    return (
      (await this.props.redis.eval(renewScript, 1, this.props.key, this.token, String(this.ttlMs))) === 1
    );
  }

  async release(): Promise<void> {
    await this.props.redis.eval(releaseScript, 1, this.props.key, this.token);
  }
}
