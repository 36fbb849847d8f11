import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';
import type { Redis } from 'ioredis';
import type { ImapSettings } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { HealthBoard } from '../../health.js';
import type { Logger } from '../../logger.js';
import type { Queues } from '../../pipeline/queues.js';
import { decideAfterFetch, maxFetchTries, stillListed } from './fetch-gaps.js';
import { batchByteBudget, planFetch } from './fetch-plan.js';
import {
  classifyImapFailure,
  describeImapFailure,
  type ImapFailureCode,
  type ImapStage,
  MailboxUnavailableError,
} from './imap-failure.js';
import { MailboxLock } from './mailbox-lock.js';
import { fetchCutMail, firstTextMaxBytes } from './oversized-mail.js';
import {
  type FetchedMail,
  type MailboxBacklog,
  readCheckpoint,
  storeRawMails,
  writeCheckpoint,
} from './raw-mail-store.js';

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
}

const maxBackoffMs = 30_000;

/** The part /readyz names for the mailbox. */
const healthPart = 'imap';

/** Keeps the stall timer of one check: fed while the mail server answers, paused while we work. */
interface Watch {
  /** The server answered; it may take `allowanceMs` longer than the stall limit for what comes next. */
  alive(allowanceMs?: number): void;
  pause(): void;
}

// The slowest link a healthy connection is expected to have: 50 KB/s.
const slowLinkBytesPerSecond = 50_000;

// Mail that reached the server this long before the intake first connected counts as backlog; newer mail is
// answered (it may have arrived while the product was being set up), whatever the clocks' skew.
const backlogMarginMs = 10 * 60_000;

/** The highest UID in the open mailbox (0 when empty), for servers that do not announce UIDNEXT. */
async function highestUid(client: ImapFlow): Promise<number> {
  const last = await client.fetchOne('*', { uid: true });
  return last ? last.uid : 0;
}

/** Runs one step of opening the mailbox; a failure comes out classified. */
async function unavailableIf<T>(stage: ImapStage, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw new MailboxUnavailableError(classifyImapFailure(err, stage), { cause: err });
  }
}

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
  private wake: (() => void) | null = null;
  private readonly lock: MailboxLock;
  private readonly log: Logger;
  private uidValidity = '0';
  private lastUid = 0;
  private backlog: MailboxBacklog = { upToUid: 0, before: null };
  /** How often each UID was left out of a fetch. */
  private readonly fetchTries = new Map<number, number>();
  /** The mailbox's last state (`ok` or a failure code); null before the first attempt. */
  private state: 'ok' | ImapFailureCode | null = null;
  /** Whether "held by another intake process" was said since the lock was last held. */
  private saidWaiting = false;

  constructor(private readonly props: ImapIntakeProps) {
    this.lock = new MailboxLock({
      redis: props.redis,
      key: `${props.redisPrefix}:imap-lock:${props.settings.key}`,
    });
    this.log = props.logger.child({ component: 'imap-intake', mailbox: props.settings.key });
  }

  start(): void {
    if (!this.running) this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
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
    if (c) await this.props.health?.clear(healthPart);
  }

  private async run(): Promise<void> {
    let backoff = 1000;
    while (!this.stopped) {
      const acquired = await this.lock.acquire().catch(() => null);
      if (!acquired) {
        // null: Redis away, which /readyz names itself; false: another process pulls this mailbox.
        if (acquired === false) this.noteWaiting();
        await this.pause(this.lock.renewEveryMs);
        continue;
      }
      this.saidWaiting = false;
      const started = Date.now();
      try {
        await this.session();
      } catch (err) {
        if (err instanceof MailboxUnavailableError) this.reportFailure(err);
        else this.log.warn({ err }, 'imap session ended with an error');
      }
      this.client = null;
      await this.lock.release().catch(() => {});
      if (this.stopped) break;
      // A session that lasted a while resets the backoff; one that failed at once doubles it.
      backoff = Date.now() - started > 60_000 ? 1000 : Math.min(backoff * 2, maxBackoffMs);
      await this.pause(backoff);
    }
  }

  /** Said once when this intake starts waiting, so a second process is not silent; each retry is debug. */
  private noteWaiting(): void {
    if (this.saidWaiting) {
      this.log.debug('mailbox still held by another intake process');
      return;
    }
    this.saidWaiting = true;
    this.log.info('mailbox held by another intake process, waiting');
  }

  /** One error line when the state changes (the same failure again on every reconnect is debug). */
  private reportFailure(err: MailboxUnavailableError): void {
    const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
    // The driver's words help whoever reads the log; the password never appears in them.
    const password = this.props.settings.password;
    const message = String(cause?.message ?? '');
    const detail = { code: cause?.code, message: password ? message.replaceAll(password, '***') : message };
    if (this.state !== err.code)
      this.log.error(
        { state: err.code, cause: detail },
        describeImapFailure(err.code, this.props.settings.mailbox),
      );
    else this.log.debug({ state: err.code, cause: detail }, 'mailbox still unavailable');
    this.state = err.code;
    void this.props.health?.report(healthPart, err.code);
  }

  private reportOk(): void {
    if (this.state !== null && this.state !== 'ok')
      this.log.info({ was: this.state }, 'mailbox reachable again');
    this.state = 'ok';
    void this.props.health?.report(healthPart, 'ok');
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  /** One connection's life: connect, select, check, then wait for IDLE news or the poll timer until it dies. */
  private async session(): Promise<void> {
    const s = this.props.settings;
    const client = new ImapFlow({
      host: s.host,
      port: s.port,
      // imap:// must upgrade with STARTTLS before the login (doSTARTTLS true refuses a server that does not
      // offer it); ?tls=off (loopback only) stays plain. Certificates are always verified.
      secure: s.tls === 'implicit',
      doSTARTTLS: s.tls === 'implicit' ? undefined : s.tls === 'starttls',
      auth: { user: s.user, pass: s.password },
      logger: false,
      // IDLE soon after each command (the default waits 15 s), restarted every minute (never longer than 5).
      autoIdleDelay: 200,
      maxIdleTime: 60_000,
      socketTimeout: 90_000,
      connectionTimeout: 20_000,
      greetingTimeout: 15_000,
    });
    this.client = client;
    let open = false;
    const closed = new Promise<void>((resolve) => {
      client.on('close', () => resolve());
      client.on('error', (err: Error) => {
        // Before the mailbox is open the failure is classified and reported once, below.
        if (open) this.log.warn({ err }, 'imap connection error');
        else this.log.debug({ err }, 'imap connection error');
        resolve();
      });
    });
    await unavailableIf('connect', () => client.connect());
    const box = await unavailableIf('open', () => client.mailboxOpen(s.mailbox));
    open = true;
    this.reportOk();
    this.uidValidity = String(box.uidValidity);
    const cp = await readCheckpoint(this.props.db, s.key);
    if (cp && cp.uidValidity === this.uidValidity) {
      this.lastUid = cp.lastUid;
      this.backlog = cp.backlog;
    } else {
      // First sight of this mailbox, or the server renumbered it: read it all (Message-ID dedupe keeps old
      // mail from coming twice), but what was already there, and is not brand new, is backlog: taken as
      // cases, never auto-answered. Recorded before the first fetch, so a restart keeps the same line.
      if (cp)
        this.log.warn(
          { was: cp.uidValidity, now: this.uidValidity },
          'UIDVALIDITY changed, re-reading mailbox',
        );
      this.lastUid = 0;
      // After a renumbering, mail that came after the last mail stored is not backlog: it may be new.
      const since = cp?.updatedAt ? new Date(cp.updatedAt).getTime() : Date.now();
      this.backlog = {
        upToUid: box.uidNext ? Number(box.uidNext) - 1 : box.exists ? await highestUid(client) : 0,
        before: new Date(Math.min(since, Date.now()) - backlogMarginMs),
      };
      await writeCheckpoint(this.props.db, s.key, {
        uidValidity: this.uidValidity,
        lastUid: 0,
        backlog: this.backlog,
      });
    }
    this.log.info(
      { uidValidity: this.uidValidity, lastUid: this.lastUid, exists: box.exists },
      'mailbox open',
    );

    client.on('exists', () => this.requestCheck());
    const renew = setInterval(() => {
      this.lock
        .renew()
        .then((ok) => {
          if (!ok) {
            this.log.error('mailbox lease lost, disconnecting');
            client.close();
          }
        })
        .catch((err) => this.log.warn({ err }, 'mailbox lease renewal failed'));
    }, this.lock.renewEveryMs);
    const poll = setInterval(() => this.requestCheck(), this.props.pollSeconds * 1000);
    try {
      this.requestCheck();
      await closed;
    } finally {
      clearInterval(renew);
      clearInterval(poll);
      await this.checking?.catch(() => {});
    }
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
        await this.checkWatched();
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
    const stallMs = this.props.stallSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    let fire: (err: Error) => void = () => {};
    const stalled = new Promise<never>((_, reject) => {
      fire = reject;
    });
    const watch: Watch = {
      alive: (allowanceMs = 0) => {
        clearTimeout(timer);
        const limit = Math.round(stallMs + allowanceMs);
        timer = setTimeout(() => fire(new Error(`no answer from the mail server for ${limit} ms`)), limit);
      },
      pause: () => clearTimeout(timer),
    };
    watch.alive();
    try {
      await Promise.race([this.check(client, watch), stalled]);
    } catch (err) {
      // A check that fails or hangs means the connection is not to be trusted: drop it, the loop reconnects.
      this.log.warn({ err }, 'mailbox check failed, reconnecting');
      client.close();
    } finally {
      clearTimeout(timer);
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
          ? await this.fetchWhole(client, watch, batch, Math.max(0, ...batch.map((u) => sizes.get(u) ?? 0)))
          : await this.fetchCut(client, watch, step.uid, step.size);
      if (!(await this.settle(client, watch, batch, fetched))) break;
    }
  }

  /** Whole mails, each handed over only once all of it has arrived. */
  private async fetchWhole(
    client: ImapFlow,
    watch: Watch,
    batch: number[],
    largest: number,
  ): Promise<FetchedMail[]> {
    const fetched: FetchedMail[] = [];
    // A large message on a slow link may take minutes, so the allowance grows with the largest of the batch.
    const allowanceMs = (largest / slowLinkBytesPerSecond) * 1000;
    watch.alive(allowanceMs);
    const query = { uid: true, source: true, internalDate: true };
    for await (const msg of client.fetch(batch.join(','), query, { uid: true })) {
      watch.alive(allowanceMs);
      if (!msg.source) continue;
      const date = msg.internalDate ? new Date(msg.internalDate) : null;
      const internalDate = date && !Number.isNaN(date.getTime()) ? date : undefined;
      fetched.push({ uid: msg.uid, source: msg.source, internalDate });
    }
    return fetched;
  }

  /** A mail over MAIL_MAX_BYTES: its headers and first text part only; the rest stays in the mailbox. */
  private async fetchCut(client: ImapFlow, watch: Watch, uid: number, size: number): Promise<FetchedMail[]> {
    watch.alive((firstTextMaxBytes / slowLinkBytesPerSecond) * 1000);
    const mail = await fetchCutMail(client, uid, size);
    if (mail)
      this.log.warn({ uid, size }, 'mail larger than MAIL_MAX_BYTES: headers and first text part read');
    return mail ? [mail] : [];
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
    await this.props.queues.addBulk(
      'ingest',
      stored.filter((r) => r.state === 'received').map((r) => ({ rawMailId: r.id })),
    );
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
    this.log.debug({ count: fetched.length, lastUid: this.lastUid }, 'mails stored');
    if (checkpoint >= batch[batch.length - 1]!) return true;
    this.log.warn(
      { uid: batch.find((u) => u > checkpoint) },
      'the server left a message out of a fetch; will retry',
    );
    return false;
  }
}
