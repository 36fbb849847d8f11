import { RelayOutageError, type RelayOutageState, type RelayState } from '../channels/email/smtp-errors.js';
import type { Logger } from '../logger.js';

// While the relay is out (our login refused, TLS failing, unreachable) sending pauses: one send at a time
// probes it every few seconds, every other reply waits without touching the relay, and all go out once a
// probe gets through. One log line per change of state, not per mail; /readyz shows the state.

export type RelayTicket = { go: true; probe: boolean } | { go: false; waitMs: number };

export interface RelayGateProps {
  logger: Logger;
  /** Where the relay's state is reported for /readyz. */
  health?: { report(part: string, state: string): Promise<void> };
  /** The part /readyz names: `smtp` for a relay, `graph_send` for a Graph mailbox. */
  healthPart?: string;
  probeEveryMs?: number;
  now?: () => number;
  random?: () => number;
}

export class RelayGate {
  private state: RelayState = 'ok';
  private nextProbeAt = 0;
  private probeSince: number | null = null;
  private readonly probeEveryMs: number;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly props: RelayGateProps) {
    this.probeEveryMs = props.probeEveryMs ?? 5_000;
    this.now = props.now ?? Date.now;
    this.random = props.random ?? Math.random;
  }

  get current(): RelayState {
    return this.state;
  }

  /** Whether a send may go to the relay now; when paused, only one probe at a time does. */
  admit(): RelayTicket {
    if (this.state === 'ok') return { go: true, probe: false };
    const now = this.now();
    // A probe that never came back (its process stalled) does not hold the gate for ever.
    const probeStuck = this.probeSince !== null && now - this.probeSince > this.probeEveryMs * 12;
    if ((this.probeSince === null || probeStuck) && now >= this.nextProbeAt) {
      this.probeSince = now;
      return { go: true, probe: true };
    }
    // Spread the waiting replies so they do not all come back in the same instant.
    const wait = Math.max(this.nextProbeAt - now, this.probeEveryMs / 5);
    return { go: false, waitMs: Math.round(wait + this.random() * this.probeEveryMs * 0.2) };
  }

  /** The relay took the mail, or answered about this mail alone: login and TLS work. */
  passed(ticket: RelayTicket): void {
    if (ticket.go && ticket.probe) this.probeSince = null;
    const was = this.state;
    this.state = 'ok';
    void this.props.health?.report(this.props.healthPart ?? 'smtp', 'ok');
    if (was !== 'ok')
      this.props.logger.info({ component: 'relay', was }, 'relay works again: sending resumed');
  }

  /**
   * The relay is out; returns how long the send waits before it is tried again. `cause` says why in plain
   * words for the log line (never a password: nodemailer's messages carry none).
   */
  failed(ticket: RelayTicket, state: RelayOutageState, cause?: string): number {
    if (ticket.go && ticket.probe) this.probeSince = null;
    this.nextProbeAt = this.now() + this.probeEveryMs;
    if (this.state !== state) {
      this.state = state;
      void this.props.health?.report(this.props.healthPart ?? 'smtp', state);
      this.props.logger.error(
        { component: 'relay', state, cause: cause?.slice(0, 300) },
        'relay unusable: sending paused',
      );
    }
    return Math.round(this.probeEveryMs + this.random() * this.probeEveryMs * 0.2);
  }

  /**
   * Checks the relay without a mail (at start), so /readyz neither keeps a state an earlier process reported
   * once the relay works, nor waits for the first reply to learn that it does not.
   */
  async check(verify: () => Promise<void>): Promise<void> {
    const ticket: RelayTicket = { go: true, probe: false };
    try {
      await verify();
      this.passed(ticket);
    } catch (err) {
      if (err instanceof RelayOutageError) this.failed(ticket, err.state, err.message);
      else
        this.props.logger.warn(
          { component: 'relay', code: (err as { code?: unknown }).code },
          'relay check inconclusive',
        );
    }
  }

  /** A probe that ended without a word from the relay (a database error) frees the probe slot. */
  release(ticket: RelayTicket): void {
    if (ticket.go && ticket.probe) this.probeSince = null;
  }
}
