import type { Redis } from 'ioredis';
import type { GraphMailboxSettings } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { HealthBoard } from '../../health.js';
import type { Logger } from '../../logger.js';
import { EntraTokenError } from '../../microsoft/entra-tokens.js';
import type { GraphClient } from '../../microsoft/graph-client.js';
import { GraphError } from '../../microsoft/graph-errors.js';
import type { Queues } from '../../pipeline/queues.js';
import { type ImapFailureCode, MailboxUnavailableError } from '../email/imap-failure.js';
import { MailboxLock } from '../email/mailbox-lock.js';
import { MailboxStateLog } from '../email/mailbox-state-log.js';
import { WakeablePause } from '../wakeable-pause.js';
import { DeltaSync } from './graph-delta-sync.js';

export interface GraphIntakeProps {
  settings: GraphMailboxSettings;
  db: Db;
  redis: Redis;
  redisPrefix: string;
  queues: Queues;
  logger: Logger;
  client: GraphClient;
  mailMaxBytes: number;
  /** Where the mailbox's state (ok, permission_missing, throttled, ...) is reported for /readyz. */
  health?: HealthBoard;
  /** Called after every round with the mails stored new, for metrics. */
  onFetched?: (count: number) => void;
  /** Told of every failed round (counted in /metrics). */
  onFailure?: (code: ImapFailureCode) => void;
  /** The part /readyz names for this mailbox (`graph` for the environment's). */
  healthPart?: string;
}

/** A round that failed waits this long at most before the next, however often it failed before. */
const maxBackoffMs = 30_000;

/** What a failed round means for the mailbox, named. */
function mailboxFailure(err: unknown): MailboxUnavailableError {
  if (err instanceof MailboxUnavailableError) return err;
  // Anything else (our database or Redis away) is not Graph's doing.
  const code: ImapFailureCode =
    err instanceof EntraTokenError ? err.code : err instanceof GraphError ? err.code : 'session_failed';
  return new MailboxUnavailableError(code, { cause: err });
}

/**
 * Reads a Microsoft 365 mailbox through Graph: one process at a time (a Redis lease), a delta round every
 * GRAPH_POLL_SECONDS, and a failing round named on /readyz and in one error line, then tried again with a
 * growing pause until the cause is fixed.
 */
export class GraphIntake {
  private stopped = false;
  private holding = false;
  private running: Promise<void> | null = null;
  private readonly pauser = new WakeablePause();
  private readonly lock: MailboxLock;
  private readonly log: Logger;
  private readonly stateLog: MailboxStateLog;
  private readonly sync: DeltaSync;

  constructor(private readonly props: GraphIntakeProps) {
    const { settings } = props;
    this.lock = new MailboxLock({
      redis: props.redis,
      key: `${props.redisPrefix}:graph-lock:${settings.key}`,
    });
    this.log = props.logger.child({ component: 'graph-intake', mailbox: settings.key });
    this.stateLog = new MailboxStateLog({
      log: this.log,
      health: props.health,
      part: props.healthPart ?? 'graph',
      mailbox: settings.address,
      password: '',
      onFailure: props.onFailure,
    });
    this.sync = new DeltaSync({
      db: props.db,
      client: props.client,
      queues: props.queues,
      mailbox: settings,
      mailMaxBytes: props.mailMaxBytes,
      log: this.log,
      live: () => this.holding && !this.stopped,
    });
  }

  /** Graph asked the mailbox to wait: named at once, not only when the round gives up. */
  throttled(waitMs: number): void {
    // Only the process reading the mailbox speaks for it on /readyz.
    if (!this.holding) return;
    this.log.debug({ waitMs }, 'Graph throttled the mailbox; waiting as asked');
    this.stateLog.failed(
      new MailboxUnavailableError('throttled', { cause: new Error(`Retry-After ${waitMs} ms`) }),
    );
  }

  start(): void {
    if (!this.running) this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pauser.wake();
    const held = this.holding;
    await this.running;
    // The state this process reported is no longer watched: /readyz must not keep showing it.
    if (held) await this.stateLog.clear();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const acquired = await this.lock.acquire().catch(() => null);
      if (!acquired) {
        // null: Redis away, which /readyz names itself; false: another process reads this mailbox.
        if (acquired === false) this.stateLog.waiting();
        await this.pause(this.lock.renewEveryMs);
        continue;
      }
      this.stateLog.lockHeld();
      this.holding = true;
      const renew = setInterval(() => this.renewLease(), this.lock.renewEveryMs);
      try {
        await this.whileHeld();
      } finally {
        clearInterval(renew);
        this.holding = false;
        await this.lock.release().catch(() => {});
      }
    }
  }

  /** Rounds while this process holds the mailbox: every poll interval, or later after failures. */
  private async whileHeld(): Promise<void> {
    const pollMs = this.props.settings.pollSeconds * 1000;
    let failures = 0;
    while (!this.stopped && this.holding) {
      try {
        const r = await this.sync.round();
        failures = 0;
        if (this.holding) this.stateLog.ok();
        if (r.stored) this.log.debug(r, 'mails stored');
        this.props.onFetched?.(r.stored);
      } catch (err) {
        failures++;
        if (!this.stopped && this.holding) this.stateLog.failed(mailboxFailure(err));
      }
      await this.pause(failures ? Math.min(pollMs * 2 ** failures, maxBackoffMs) : pollMs);
    }
  }

  /** Keeps this process the mailbox's only reader; once the lease is lost, the round stops at the next page. */
  private renewLease(): void {
    this.lock
      .renew()
      .then((ok) => {
        if (ok) return;
        this.log.error('mailbox lease lost; another process may read it now');
        this.holding = false;
        this.pauser.wake();
      })
      .catch((err) => this.log.warn({ err }, 'mailbox lease renewal failed'));
  }

  private pause(ms: number): Promise<void> {
    return this.pauser.pause(ms);
  }
}
