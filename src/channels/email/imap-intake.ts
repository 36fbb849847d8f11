import { setTimeout as sleep } from 'node:timers/promises';
import type { ImapFlow } from 'imapflow';
import type { Redis } from 'ioredis';
import type { ImapSettings } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { HealthBoard } from '../../health.js';
import type { Logger } from '../../logger.js';
import { type AccessToken, EntraTokenError, type TokenSource } from '../../microsoft/entra-tokens.js';
import { payloadOf } from '../../pipeline/queue-contract.js';
import type { Queues } from '../../pipeline/queues.js';
import { WakeablePause } from '../wakeable-pause.js';
import { decideAfterFetch, maxFetchTries, stillListed } from './fetch-gaps.js';
import { batchByteBudget, planFetch } from './fetch-plan.js';
import { connectionEnded, createImapClient, unavailableIf } from './imap-connection.js';
import { type ImapFailureCode, MailboxUnavailableError } from './imap-failure.js';
import { fetchCut, fetchWhole, startWatch, type Watch } from './imap-fetch.js';
import { MailboxLock } from './mailbox-lock.js';
import { resumeMailbox } from './mailbox-resume.js';
import { MailboxStateLog } from './mailbox-state-log.js';
import { type FetchedMail, type MailboxBacklog, storeRawMails, writeCheckpoint } from './raw-mail-store.js';

export interface ImapIntakeProps {
  settings: ImapSettings;
  db: Db;
  redis: Redis;
  redisPrefix: string;
  queues: Queues;
  logger: Logger;
  /** Where this mailbox's state (ok, login refused, ...) is reported for /readyz. */
  health?: HealthBoard;
  pollSeconds: number;
  /** A mail-server command unanswered this long means a dead connection. */
  stallSeconds: number;
  fetchBatch: number;
  /** Largest mail fetched whole; a larger one is read as its headers and first text part. */
  mailMaxBytes: number;
  /** Called after every check, for metrics. */
  onFetched?: (count: number) => void;
  /** Tokens for a mailbox that logs in by XOAUTH2 (`?auth=xoauth2`). */
  tokens?: TokenSource;
  /** Told of every failed attempt to open the mailbox (counted in /metrics). */
  onFailure?: (code: ImapFailureCode) => void;
  /** The part /readyz names for this mailbox (`imap` for the environment's). */
  healthPart?: string;
}

/**
 * When to end a session before its token runs out (Exchange ends it then with `AccessTokenExpired`): five
 * minutes before, when the token cache hands out the next one, but never sooner than in 30 seconds.
 */
export function recycleDelayMs(expiresOn: Date, now = Date.now()): number {
  return Math.max(30_000, expiresOn.getTime() - now - 5 * 60_000 + 5_000);
}

const maxBackoffMs = 30_000;
/** How long a check in a burst waits for more mail before fetching. */
const burstGatherMs = 40;

/**
 * Pulls one mailbox: IDLE for speed, a periodic check as the fallback and the dead-connection detector,
 * UID checkpoint in Postgres moved only after the mails are stored and enqueued.
 */
export class ImapIntake {
  private stopped = false;
  private client: ImapFlow | null = null;
  private checking: Promise<void> | null = null;
  private recheck = false;
  private running: Promise<void> | null = null;
  private readonly pauser = new WakeablePause();
  private readonly lock: MailboxLock;
  private readonly log: Logger;
  private uidValidity = '0';
  private lastUid = 0;
  private backlog: MailboxBacklog = { upToUid: 0, before: null };
  /** How often each UID was left out of a fetch. */
  private readonly fetchTries = new Map<number, number>();
  private readonly stateLog: MailboxStateLog;
  /** Mails the running check has fetched so far. */
  private fetchedInCheck = 0;
  /** The server called the last token stale (or refused it): the next login takes a new one. */
  private freshToken = false;
  /** The last session ended itself before its token ran out. */
  private recycled = false;

  constructor(private readonly props: ImapIntakeProps) {
    this.lock = new MailboxLock({
      redis: props.redis,
      key: `${props.redisPrefix}:imap-lock:${props.settings.key}`,
    });
    this.log = props.logger.child({ component: 'imap-intake', mailbox: props.settings.key });
    const { mailbox, password } = props.settings;
    this.stateLog = new MailboxStateLog({
      log: this.log,
      health: props.health,
      part: props.healthPart,
      mailbox,
      password,
      onFailure: props.onFailure,
    });
  }

  start(): void {
    if (!this.running) this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pauser.wake();
    const c = this.client;
    if (c) {
      await this.checking?.catch(() => {});
      await Promise.race([c.logout().catch(() => {}), sleep(3000)]);
      c.close();
    }
    await this.running;
    await this.lock.release().catch(() => {});
    // The state this process reported is no longer watched by anyone: /readyz must not keep showing it. A
    // standby intake (no session) leaves the active one's state alone; the next active one reports anew.
    if (c) await this.stateLog.clear();
  }

  private async run(): Promise<void> {
    let backoff = 1000;
    while (!this.stopped) {
      const acquired = await this.lock.acquire().catch(() => null);
      if (!acquired) {
        // null: Redis away, which /readyz names itself; false: another process pulls this mailbox.
        if (acquired === false) this.stateLog.waiting();
        await this.pause(this.lock.renewEveryMs);
        continue;
      }
      this.stateLog.lockHeld();
      const started = Date.now();
      try {
        await this.session();
      } catch (err) {
        // Once stopping, the state is nobody's to report (the mailbox may be gone, its part cleared).
        if (this.stopped) break;
        if (err instanceof MailboxUnavailableError) this.stateLog.failed(err);
        else this.log.warn({ err }, 'imap session ended with an error');
        // A refused token may have been revoked: the next attempt asks the token service, not the cache.
        if (err instanceof MailboxUnavailableError && err.code === 'login_refused') this.freshToken = true;
      }
      this.client = null;
      await this.lock.release().catch(() => {});
      if (this.stopped) break;
      // A session that lasted a while, or one ended for its token (by the server or before it ran out), resets
      // the backoff; one that failed at once doubles it.
      const tokenEnded = this.freshToken || this.recycled;
      this.recycled = false;
      backoff = Date.now() - started > 60_000 || tokenEnded ? 1000 : Math.min(backoff * 2, maxBackoffMs);
      await this.pause(backoff);
    }
  }

  private pause(ms: number): Promise<void> {
    return this.pauser.pause(ms);
  }

  /** One connection's life: connect, select, check, then wait for IDLE news or the poll timer until it dies. */
  private async session(): Promise<void> {
    const s = this.props.settings;
    const token = s.auth === 'xoauth2' ? await this.accessToken() : null;
    const client = createImapClient(s, token?.token);
    this.client = client;
    let open = false;
    const closed = connectionEnded(client, () => open, this.log);
    client.on('close', () => {
      const bye = (client as unknown as { byeReason?: string }).byeReason ?? '';
      if (/AccessTokenExpired/i.test(bye)) {
        this.log.info('mail server ended the session for an expired token; logging in with a new one');
        this.freshToken = true;
      }
    });
    await unavailableIf('connect', () => client.connect());
    const box = await unavailableIf('open', () => client.mailboxOpen(s.mailbox));
    open = true;
    this.stateLog.ok();
    const position = await resumeMailbox(this.props.db, s.key, client, box, this.log);
    this.uidValidity = position.uidValidity;
    this.lastUid = position.lastUid;
    this.backlog = position.backlog;
    this.log.info(
      { uidValidity: this.uidValidity, lastUid: this.lastUid, exists: box.exists },
      'mailbox open',
    );

    client.on('exists', () => this.requestCheck());
    const renew = setInterval(() => this.renewLease(client), this.lock.renewEveryMs);
    // A token-bound session ends itself before the token does; the loop logs in again at once.
    const recycle = token
      ? setTimeout(() => {
          this.recycled = true;
          client.close();
        }, recycleDelayMs(token.expiresOn))
      : undefined;
    const poll = setInterval(() => this.requestCheck(), this.props.pollSeconds * 1000);
    try {
      this.requestCheck();
      await closed;
    } finally {
      clearInterval(renew);
      clearInterval(poll);
      clearTimeout(recycle);
      await this.checking?.catch(() => {});
    }
  }

  /** A token for an XOAUTH2 login; the token service's failure comes out as the mailbox's, named. */
  private async accessToken(): Promise<AccessToken> {
    const fresh = this.freshToken;
    this.freshToken = false;
    try {
      if (!this.props.tokens) throw new Error('no Microsoft Entra app configured (MS_TENANT_ID, ...)');
      return await this.props.tokens({ fresh });
    } catch (err) {
      this.freshToken = fresh;
      throw new MailboxUnavailableError(err instanceof EntraTokenError ? err.code : 'token_refused', {
        cause: err,
      });
    }
  }

  /** Keeps this process the mailbox's only reader; once the lease is lost, another process may take over. */
  private renewLease(client: ImapFlow): void {
    this.lock
      .renew()
      .then((ok) => {
        if (!ok) {
          this.log.error('mailbox lease lost, disconnecting');
          client.close();
        }
      })
      .catch((err) => this.log.warn({ err }, 'mailbox lease renewal failed'));
  }

  /** Coalesces check requests: at most one check runs, and one more follows if news came in meanwhile. */
  private requestCheck(): void {
    if (this.stopped) return;
    if (this.checking) {
      this.recheck = true;
      return;
    }
    this.checking = (async () => {
      do {
        this.recheck = false;
        this.fetchedInCheck = 0;
        await this.checkWatched();
        // In a burst (this check brought several mails and more came meanwhile), the next check waits a
        // moment so that it fetches, stores and hands on a larger batch; a lone mail is never held back.
        if (this.recheck && this.fetchedInCheck > 1 && !this.stopped) await sleep(burstGatherMs);
      } while (this.recheck && !this.stopped);
    })().finally(() => {
      this.checking = null;
    });
  }

  /**
   * One check under a watchdog: an IMAP command that gets no answer for `stallSeconds` means a dead
   * connection (peers have hung for hours on one), so the connection is dropped and the loop reconnects.
   * Progress, not total time, is what counts: a large backlog may take minutes and still be healthy.
   */
  private async checkWatched(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const { watch, stalled, stop } = startWatch(this.props.stallSeconds * 1000);
    try {
      await Promise.race([this.check(client, watch), stalled]);
    } catch (err) {
      // A check that fails or hangs means the connection is not to be trusted: drop it, the loop reconnects.
      this.log.warn({ err }, 'mailbox check failed, reconnecting');
      client.close();
    } finally {
      stop();
    }
  }

  private async check(client: ImapFlow, watch: Watch): Promise<void> {
    // The new UIDs and their sizes in one round trip (a few bytes per mail, even for a large backlog).
    const found = await client.fetchAll(`${this.lastUid + 1}:*`, { uid: true, size: true }, { uid: true });
    watch.alive();
    // "n:*" always matches the newest message, even one at or below n.
    const news = found.filter((m) => m.uid > this.lastUid).sort((a, b) => a.uid - b.uid);
    const sizes = new Map(news.map((m) => [m.uid, m.size ?? 0]));
    const { mailMaxBytes } = this.props;
    const limits = { maxCount: this.props.fetchBatch, maxBytes: batchByteBudget(mailMaxBytes), mailMaxBytes };
    for (const step of planFetch(news, limits)) {
      if (this.stopped) break;
      const batch = step.kind === 'whole' ? step.uids : [step.uid];
      const fetched =
        step.kind === 'whole'
          ? await fetchWhole(client, watch, batch, Math.max(0, ...batch.map((u) => sizes.get(u) ?? 0)))
          : await fetchCut(client, watch, step.uid, step.size, this.log);
      if (!(await this.settle(client, watch, batch, fetched))) break;
    }
  }

  /**
   * Stores and enqueues what one fetch brought, then moves the checkpoint as far as it may. False when a
   * message is still owed, so the check stops and the next one starts from there.
   */
  private async settle(
    client: ImapFlow,
    watch: Watch,
    batch: number[],
    fetched: FetchedMail[],
  ): Promise<boolean> {
    // Our own database and queue are not the mail server: the watchdog rests while they work.
    watch.pause();
    const stored = await storeRawMails(
      this.props.db,
      this.props.settings.key,
      this.uidValidity,
      fetched,
      this.backlog,
    );
    // One job for the batch: it is parsed, stored and triaged together.
    const received = stored.filter((r) => r.state === 'received').map((r) => r.id);
    if (received.length) await this.props.queues.add('ingest', payloadOf.ingest(received));
    // Only now, with every mail of the batch stored and enqueued, may the checkpoint pass them; never past a
    // message the server left out but still lists.
    const got = new Set(fetched.map((m) => m.uid));
    const owed = batch.filter((u) => !got.has(u));
    let stillThere = new Set<number>();
    if (owed.length) {
      watch.alive();
      stillThere = stillListed(await client.search({ uid: owed.join(',') }, { uid: true }), owed);
      watch.pause();
    }
    const { checkpoint, skipped } = decideAfterFetch(batch, got, stillThere, this.fetchTries, this.lastUid);
    if (skipped.length)
      this.log.error(
        { uids: skipped },
        `mail the server would not hand over after ${maxFetchTries} tries was skipped; it is still in the mailbox`,
      );
    if (checkpoint > this.lastUid) {
      await writeCheckpoint(this.props.db, this.props.settings.key, {
        uidValidity: this.uidValidity,
        lastUid: checkpoint,
        backlog: this.backlog,
      });
      this.lastUid = checkpoint;
    }
    watch.alive();
    this.props.onFetched?.(fetched.length);
    this.fetchedInCheck += fetched.length;
    this.log.debug({ count: fetched.length, lastUid: this.lastUid }, 'mails stored');
    if (checkpoint >= batch[batch.length - 1]!) return true;
    this.log.warn(
      { uid: batch.find((u) => u > checkpoint) },
      'the server left a message out of a fetch; will retry',
    );
    return false;
  }
}
