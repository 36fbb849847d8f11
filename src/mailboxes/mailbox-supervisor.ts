import { ImapIntake } from '../channels/email/imap-intake.js';
import { GraphIntake } from '../channels/graph/graph-intake.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { exchangeScope } from '../microsoft/entra-tokens.js';
import type { GraphClient } from '../microsoft/graph-client.js';
import { mailGraphClient } from '../microsoft/mail-graph-client.js';
import type { SharedServices } from '../runtime/shared-services.js';
import { mailboxParts } from './mailbox-parts.js';
import { listMailboxes, type RunnableMailbox, runnableMailbox } from './mailbox-store.js';

// Runs an intake for every mailbox admins added and left enabled: started when one appears, restarted when
// it changes, stopped when it is disabled or deleted. Each has its own lock, checkpoint and /readyz part; one
// that cannot be read (its password sealed under a key no longer set, say) is named and never stops others.

/** How often the list of mailboxes is read again. */
const rescanMs = 5_000;

interface Running {
  version: string;
  stop(): Promise<void>;
}

export class MailboxSupervisor {
  private readonly running = new Map<string, Running>();
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
      if (row && new Date(row.updated_at).toISOString() === r.version) continue;
      this.running.delete(id);
      await r.stop();
    }
    for (const row of rows) {
      if (this.stopped || this.running.has(row.id)) continue;
      try {
        const m = runnableMailbox(
          row,
          this.shared.secrets.secretKeys,
          this.config.graphMailbox?.pollSeconds ?? 5,
        );
        this.running.set(row.id, this.startOne(m));
        this.log.info({ mailbox: m.name, kind: m.kind }, 'mailbox intake started');
      } catch (err) {
        this.log.error({ err, mailbox: row.name }, 'mailbox cannot be read with its stored settings');
        void this.shared.health.report(mailboxParts(row.name).intake, 'settings_unreadable');
      }
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
      client.onThrottled((ms) => intake.throttled(ms));
      intake.start();
      return { version: m.version, stop: () => intake.stop() };
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
    return { version: m.version, stop: () => intake.stop() };
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
