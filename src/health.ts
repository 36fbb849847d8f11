import type { Redis } from 'ioredis';

// The state of the parts that /readyz names besides Postgres and Redis (each mailbox, the relay), shared
// through Redis so that an API process reports what the intake and worker processes see. A part states a
// short code (`ok`, `login_refused`, `relay_auth_failed`, ...), never a server's or driver's own error text.

export interface PartHealth {
  ok: boolean;
  /** `ok`, or a short code naming the problem. */
  state: string;
  /** When this state was reported (ms since epoch). */
  at: number;
}

export class HealthBoard {
  private readonly key: string;
  /** What this process last reported per part, so an unchanged state is not written again. */
  private readonly last = new Map<string, string>();

  constructor(
    private readonly redis: Pick<Redis, 'hset' | 'hgetall' | 'hdel'>,
    prefix: string,
  ) {
    this.key = `${prefix}:health`;
  }

  /** Records a part's state; `ok` when healthy, otherwise a short code. Never throws. */
  async report(part: string, state: string): Promise<void> {
    if (this.last.get(part) === state) return;
    const value: PartHealth = { ok: state === 'ok', state, at: Date.now() };
    try {
      await this.redis.hset(this.key, part, JSON.stringify(value));
      this.last.set(part, state);
    } catch {
      // Redis away: /readyz names Redis itself; the state is written again at the next report.
    }
  }

  /** Forgets a part (a mailbox removed, a role that no longer runs here). */
  async clear(part: string): Promise<void> {
    this.last.delete(part);
    await this.redis.hdel(this.key, part).catch(() => 0);
  }

  async read(): Promise<Record<string, PartHealth>> {
    const raw = await this.redis.hgetall(this.key);
    const out: Record<string, PartHealth> = {};
    for (const [part, json] of Object.entries(raw)) {
      try {
        const v = JSON.parse(json) as PartHealth;
        if (typeof v.state === 'string')
          out[part] = { ok: v.state === 'ok', state: v.state, at: Number(v.at) };
      } catch {
        // A value this version cannot read is left out rather than failing the probe.
      }
    }
    return out;
  }
}
