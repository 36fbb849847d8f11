import type { HealthBoard } from '../../health.js';
import type { Logger } from '../../logger.js';
import { describeImapFailure, type ImapFailureCode, type MailboxUnavailableError } from './imap-failure.js';

export interface MailboxStateLogProps {
  log: Logger;
  health?: HealthBoard;
  /** The part /readyz names for the mailbox: `imap` (default) or `graph`. */
  part?: string;
  mailbox: string;
  /** Kept out of the driver's words when they are logged. */
  password: string;
  /** Told of every failure (counted in /metrics), repeats included. */
  onFailure?: (code: ImapFailureCode) => void;
}

/**
 * What one intake says about its mailbox, in the log and on /readyz: a line when the state changes, debug
 * while it stays the same, so a mailbox down for hours is one error, not one per reconnect.
 */
export class MailboxStateLog {
  /** The mailbox's last state (`ok` or a failure code); null before the first attempt. */
  private state: 'ok' | ImapFailureCode | null = null;
  /** Whether "held by another intake process" was said since the lock was last held. */
  private saidWaiting = false;

  constructor(private readonly props: MailboxStateLogProps) {}

  private get part(): string {
    return this.props.part ?? 'imap';
  }

  /** Said once when this intake starts waiting, so a second process is not silent; each retry is debug. */
  waiting(): void {
    if (this.saidWaiting) {
      this.props.log.debug('mailbox still held by another intake process');
      return;
    }
    this.saidWaiting = true;
    this.props.log.info('mailbox held by another intake process, waiting');
  }

  lockHeld(): void {
    this.saidWaiting = false;
  }

  failed(err: MailboxUnavailableError): void {
    const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
    // The driver's words help whoever reads the log; the password never appears in them.
    const { password } = this.props;
    const message = String(cause?.message ?? '');
    const detail = { code: cause?.code, message: password ? message.replaceAll(password, '***') : message };
    if (this.state !== err.code)
      this.props.log.error(
        { state: err.code, cause: detail },
        describeImapFailure(err.code, this.props.mailbox),
      );
    else this.props.log.debug({ state: err.code, cause: detail }, 'mailbox still unavailable');
    this.state = err.code;
    this.props.onFailure?.(err.code);
    void this.props.health?.report(this.part, err.code);
  }

  ok(): void {
    if (this.state !== null && this.state !== 'ok')
      this.props.log.info({ was: this.state }, 'mailbox reachable again');
    this.state = 'ok';
    void this.props.health?.report(this.part, 'ok');
  }

  /** Nobody watches this process's state any more: /readyz must not keep showing it. */
  async clear(): Promise<void> {
    await this.props.health?.clear(this.part);
  }
}
