import { SmtpSender } from '../channels/email/smtp-sender.js';
import { GraphSender } from '../channels/graph/graph-sender.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { exchangeScope } from '../microsoft/entra-tokens.js';
import { RelayGate } from '../replies/relay-gate.js';
import type { MailTransport } from '../replies/send-outbox.js';
import type { SharedServices } from '../runtime/shared-services.js';
import { mailboxParts } from './mailbox-parts.js';
import { getMailbox, runnableMailbox } from './mailbox-store.js';
import { graphClientFor } from './mailbox-supervisor.js';

// How a reply goes out through the mailbox its case came in on: that mailbox's relay (or Graph), with a
// gate of its own so that one mailbox's outage pauses only its own replies. Built on first use, built again
// when the mailbox changes; a mailbox deleted since, or one without a relay of its own, sends through the
// environment's.

/** Looked up again after this long, so a change reaches sends within seconds. */
const recheckMs = 5_000;

export interface MailRoute {
  transport: MailTransport & { close(): void };
  relay: RelayGate;
}

interface Entry {
  version: string;
  route: MailRoute | null;
  checkedAt: number;
}

export class MailboxSenders {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly shared: SharedServices,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /** The route of a mailbox key; null: the environment's transport. */
  async route(key: string): Promise<MailRoute | null> {
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.checkedAt < recheckMs) return hit.route;
    const id = key.startsWith('mailbox:') ? key.slice('mailbox:'.length) : '';
    const row = id ? await getMailbox(this.shared.db, id) : null;
    const version = row ? new Date(row.updated_at).toISOString() : 'none';
    if (hit && hit.version === version) {
      hit.checkedAt = Date.now();
      return hit.route;
    }
    hit?.route?.transport.close();
    const route = row?.enabled ? this.build(runnableMailbox(row, this.shared.secrets.secretKeys, 5)) : null;
    this.cache.set(key, { version, route, checkedAt: Date.now() });
    return route;
  }

  private build(m: ReturnType<typeof runnableMailbox>): MailRoute | null {
    const support = { address: m.address };
    const transport = m.graph
      ? new GraphSender(graphClientFor(this.shared, this.config, m.key), m.address, support)
      : m.smtp
        ? new SmtpSender(m.smtp, support, this.shared.entra?.source(exchangeScope))
        : null;
    if (!transport) return null;
    const relay = new RelayGate({
      logger: this.logger.child({ mailbox: m.name }),
      health: this.shared.health,
      healthPart: mailboxParts(m.name).send,
    });
    return { transport, relay };
  }

  close(): void {
    for (const e of this.cache.values()) e.route?.transport.close();
    this.cache.clear();
  }
}
