import { ImapFlow } from 'imapflow';
import type { ImapSettings } from '../../config.js';
import type { Logger } from '../../logger.js';
import { classifyImapFailure, type ImapStage, MailboxUnavailableError } from './imap-failure.js';

/** A client for one mailbox, not yet connected; with `accessToken`, it logs in by XOAUTH2. */
export function createImapClient(s: ImapSettings, accessToken?: string): ImapFlow {
  return new ImapFlow({
    host: s.host,
    port: s.port,
    // imap:// must upgrade with STARTTLS before the login (doSTARTTLS true refuses a server that does not
    // offer it); ?tls=off (loopback only) stays plain. Certificates are always verified.
    secure: s.tls === 'implicit',
    doSTARTTLS: s.tls === 'implicit' ? undefined : s.tls === 'starttls',
    auth: accessToken ? { user: s.user, accessToken } : { user: s.user, pass: s.password },
    logger: false,
    // IDLE soon after each command (the default waits 15 s), restarted every minute (never longer than 5).
    autoIdleDelay: 200,
    maxIdleTime: 60_000,
    socketTimeout: 90_000,
    connectionTimeout: 20_000,
    greetingTimeout: 15_000,
  });
}

/**
 * Resolves when the connection closes or fails. `isOpen` tells whether the mailbox was open by then: before
 * that, the failure is classified and reported once by whoever opens it, so here it is only debug.
 */
export function connectionEnded(client: ImapFlow, isOpen: () => boolean, log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    client.on('close', () => resolve());
    client.on('error', (err: Error) => {
      if (isOpen()) log.warn({ err }, 'imap connection error');
      else log.debug({ err }, 'imap connection error');
      resolve();
    });
  });
}

/** Runs one step of opening the mailbox; a failure comes out classified. */
export async function unavailableIf<T>(stage: ImapStage, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw new MailboxUnavailableError(classifyImapFailure(err, stage), { cause: err });
  }
}
