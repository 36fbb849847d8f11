import { SmtpSender } from '../channels/email/smtp-sender.js';
import { GraphSender } from '../channels/graph/graph-sender.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { exchangeScope } from '../microsoft/entra-tokens.js';
import { RelayGate } from '../replies/relay-gate.js';
import type { MailTransport } from '../replies/send-outbox.js';
import type { SharedServices } from '../runtime/shared-services.js';
import { mailboxParts } from './mailbox-parts.js';
import { connectionVersion, getMailbox, runnableMailbox } from './mailbox-store.js';
import { graphClientFor } from './mailbox-supervisor.js';

// How a reply goes out through the mailbox its case came in on: that mailbox's relay (or Graph), with a
// gate of its own so that one mailbox's outage pauses only its own replies. Built on first use, built again
// when what it connects with changes. A reply whose mailbox was deleted or disabled since goes through the
// environment's relay, from the environment's address.

/** Looked up again after this long, so a change reaches sends within seconds. */
const recheckMs = 5_000;

export interface MailRoute {
  transport: MailTransport & { close(): void };
  relay: RelayGate;
}

interface Entry {
  version: string;
  route: MailRoute | null;
  /** The /readyz part its gate reports to, cleared when the route goes. */
  part: string | null;
  checkedAt: number;
}

export class MailboxSenders {
  private readonly cache = new Map<string, Entry>();
  /** Look-ups under way, so that two sends after a change build one transport, not two. */
  private readonly looking = new Map<string, Promise<MailRoute | null>>();

  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly shared: SharedServices,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {
    // A mailbox changed, disabled or deleted while no reply goes out through it: its route and its state on
    // /readyz go all the same.
    this.sweep = setInterval(() => {
      for (const key of this.cache.keys())
        this.route(key).catch((err) => this.logger.warn({ err }, 'mailbox route not checked'));
    }, recheckMs);
    this.sweep.unref();
  }

  /** The route of a mailbox key; null: the environment's transport. */
  route(key: string): Promise<MailRoute | null> {
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.checkedAt < recheckMs) return Promise.resolve(hit.route);
    let pending = this.looking.get(key);
    if (!pending) {
      pending = this.lookUp(key, hit).finally(() => this.looking.delete(key));
      this.looking.set(key, pending);
    }
    return pending;
  }

  private async lookUp(key: string, hit: Entry | undefined): Promise<MailRoute | null> {
    const id = key.startsWith('mailbox:') ? key.slice('mailbox:'.length) : '';
    const row = id ? await getMailbox(this.shared.db, id) : null;
    const usable = row?.enabled ? row : null;
    const version = usable ? connectionVersion(usable) : 'none';
    if (hit && hit.version === version) {
      hit.checkedAt = Date.now();
      return hit.route;
    }
    // The old route goes: its transport closes (sends under way finish), its state leaves /readyz.
    hit?.route?.transport.close();
    if (hit?.part) await this.shared.health.clear(hit.part);
    const built = usable
      ? this.build(runnableMailbox(usable, this.shared.secrets.sealKeys, this.config.graphPollSeconds))
      : null;
    this.cache.set(key, {
      version,
      route: built?.route ?? null,
      part: built?.part ?? null,
      checkedAt: Date.now(),
    });
    return built?.route ?? null;
  }

  private build(m: ReturnType<typeof runnableMailbox>): { route: MailRoute; part: string } | null {
    const support = { address: m.address };
    const transport = m.graph
      ? new GraphSender(graphClientFor(this.shared, this.config, m.key), m.address, support)
      : m.smtp
        ? new SmtpSender(m.smtp, support, this.shared.entra?.source(exchangeScope))
        : null;
    if (!transport) return null;
    const part = mailboxParts(m.name).send;
    const relay = new RelayGate({
      logger: this.logger.child({ mailbox: m.name }),
      health: this.shared.health,
      healthPart: part,
    });
    return { route: { transport, relay }, part };
  }

  close(): void {
    clearInterval(this.sweep);
    for (const e of this.cache.values()) e.route?.transport.close();
    this.cache.clear();
  }
}
