import { ImapIntake } from '../channels/email/imap-intake.js';
import { GraphIntake } from '../channels/graph/graph-intake.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { exchangeScope } from '../microsoft/entra-tokens.js';
import type { GraphClient } from '../microsoft/graph-client.js';
import { mailGraphClient } from '../microsoft/mail-graph-client.js';
import type { SharedServices } from '../runtime/shared-services.js';
import { mailboxParts } from './mailbox-parts.js';
import {
  connectionVersion,
  listMailboxes,
  type MailboxRow,
  type RunnableMailbox,
  runnableMailbox,
} from './mailbox-store.js';

// Runs an intake for every mailbox admins added and left enabled: started when one appears, restarted when
// what it connects with changes, stopped when it is disabled or deleted (its /readyz part then goes too).
// Each has its own lock, checkpoint and /readyz part; one that cannot be read (its passwords sealed under a
// key no longer set, say) is named once and never stops the others.

/** How often the list of mailboxes is read again. */
const rescanMs = 5_000;

interface Running {
  version: string;
  part: string;
  stop(): Promise<void>;
}

export class MailboxSupervisor {
  private readonly running = new Map<string, Running>();
  /** Mailboxes whose stored settings do not open, by id, with the part they were named under. */
  private readonly unreadable = new Map<string, { version: string; part: string }>();
  private timer: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private stopped = false;
  private readonly log: Logger;

  constructor(
    private readonly shared: SharedServices,
    private readonly config: Config,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'mailboxes' });
  }

  start(): void {
    const tick = () => {
      this.scanning ??= this.scan()
        .catch((err) => this.log.warn({ err }, 'mailbox list not read; trying again'))
        .finally(() => {
          this.scanning = null;
        });
    };
    tick();
    this.timer = setInterval(tick, rescanMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.scanning;
    await Promise.all([...this.running.values()].map((r) => r.stop()));
    this.running.clear();
  }

  private async scan(): Promise<void> {
    const rows = (await listMailboxes(this.shared.db)).filter((r) => r.enabled);
    const wanted = new Map(rows.map((r) => [r.id, r]));
    for (const [id, r] of this.running) {
      const row = wanted.get(id);
      if (row && connectionVersion(row) === r.version) continue;
      this.running.delete(id);
      await r.stop();
      // Nobody reads it under that name any more: /readyz must not keep showing its last state.
      await this.shared.health.clear(r.part);
    }
    for (const [id, u] of this.unreadable) {
      const row = wanted.get(id);
      if (row && connectionVersion(row) === u.version) continue;
      this.unreadable.delete(id);
      await this.shared.health.clear(u.part);
    }
    for (const row of rows) if (!this.stopped && !this.running.has(row.id)) this.startRow(row);
  }

  private startRow(row: MailboxRow): void {
    if (this.unreadable.has(row.id)) return;
    try {
      const m = runnableMailbox(row, this.shared.secrets.sealKeys, this.config.graphPollSeconds);
      this.running.set(row.id, this.startOne(m));
      this.log.info({ mailbox: m.name, kind: m.kind }, 'mailbox intake started');
    } catch (err) {
      // Said once for these settings; said again only once they change.
      const part = mailboxParts(row.name).intake;
      this.unreadable.set(row.id, { version: connectionVersion(row), part });
      this.log.error({ err, mailbox: row.name }, 'mailbox cannot be read with its stored settings');
      void this.shared.health.report(part, 'settings_unreadable');
    }
  }

  private startOne(m: RunnableMailbox): Running {
    const { shared, config } = this;
    const part = mailboxParts(m.name).intake;
    const common = {
      db: shared.db,
      redis: shared.redis,
      redisPrefix: config.redisPrefix,
      queues: shared.queues,
      logger: this.log,
      health: shared.health,
      healthPart: part,
      mailMaxBytes: config.mailMaxBytes,
      onFetched: (n: number) => shared.metrics.intake.inc({ channel: 'email', outcome: 'fetched' }, n),
    };
    if (m.graph) {
      const client = graphClientFor(shared, config, m.key);
      const intake = new GraphIntake({
        ...common,
        settings: m.graph,
        client,
        onFailure: (code) => shared.metrics.mailboxFailures.inc({ kind: 'graph', code }),
      });
      const unwatch = client.onThrottled((ms) => intake.throttled(ms));
      intake.start();
      return { version: m.version, part, stop: () => intake.stop().finally(unwatch) };
    }
    const intake = new ImapIntake({
      ...common,
      settings: m.imap!,
      pollSeconds: config.imapPollSeconds,
      stallSeconds: config.imapStallSeconds,
      fetchBatch: config.imapFetchBatch,
      onFailure: (code) => shared.metrics.mailboxFailures.inc({ kind: 'imap', code }),
      tokens: shared.entra?.source(exchangeScope),
    });
    intake.start();
    return { version: m.version, part, stop: () => intake.stop() };
  }
}

/**
 * The Graph client of one mailbox, one per process, shared by its intake and its sender: four requests at a
 * time and one throttling pause for the mailbox.
 */
export function graphClientFor(shared: SharedServices, config: Config, key: string): GraphClient {
  if (!shared.entra || !config.microsoft)
    throw new Error('a Graph mailbox needs MS_TENANT_ID, MS_CLIENT_ID and MS_CLIENT_SECRET');
  let client = shared.graphClients.get(key);
  if (!client) {
    client = mailGraphClient(config.microsoft.graphUrl, shared.entra, shared.metrics);
    shared.graphClients.set(key, client);
  }
  return client;
}
