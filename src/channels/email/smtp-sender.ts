import nodemailer, { type Transporter } from 'nodemailer';
import type { SmtpSettings } from '../../config.js';
import { headerSafe, safeMessageId } from './header-safe.js';
import { toRelayError } from './smtp-errors.js';

export interface OutgoingMail {
  from: string;
  /** A display name for From; nodemailer encodes and quotes it, so no character of it can change the address. */
  fromName?: string | null;
  to: string;
  subject: string;
  text: string;
  messageId: string;
  inReplyTo: string | null;
  references: string[];
  /** RFC 3834: `auto-replied` for an automatic answer, `auto-generated` for a notification; null for a person's. */
  autoSubmitted: 'auto-replied' | 'auto-generated' | null;
  replyTo?: string | null;
  /** An HTML alternative to the text. */
  html?: string | null;
  attachments?: OutgoingAttachment[];
}

export interface OutgoingAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** Connections to the relay at once (many relays limit concurrent submissions per account). */
export const relayConnections = 4;

/** Pooled SMTP connection to the relay. Headers are built only from values that passed headerSafe. */
export class SmtpSender {
  private readonly transport: Transporter;

  /** `support` names the support address and the display name its mail carries (SUPPORT_ADDRESS). */
  constructor(
    settings: SmtpSettings,
    private readonly support: { address: string; name?: string } = { address: '' },
  ) {
    const credentials = !!settings.user;
    this.transport = nodemailer.createTransport({
      host: settings.host,
      port: settings.port,
      secure: settings.tls === 'implicit',
      // smtp:// takes STARTTLS whenever the relay offers it, and insists on it before sending a password;
      // only ?tls=off (loopback) talks plain text. Certificates are always verified (NODE_EXTRA_CA_CERTS
      // adds a private CA).
      ignoreTLS: settings.tls === 'off',
      requireTLS: settings.tls === 'starttls' && credentials,
      auth: settings.user ? { user: settings.user, pass: settings.password ?? '' } : undefined,
      pool: true,
      maxConnections: relayConnections,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
  }

  async send(mail: OutgoingMail): Promise<void> {
    const headers: Record<string, string> = {};
    if (mail.autoSubmitted) {
      headers['Auto-Submitted'] = mail.autoSubmitted;
      // Ask Exchange and friends not to answer our answer.
      headers['X-Auto-Response-Suppress'] = 'All';
    }
    // Mail from the support address carries its display name unless the send names another (a notification).
    const fromName = mail.fromName ?? (mail.from === this.support.address ? this.support.name : undefined);
    const refs = mail.references.map((r) => safeMessageId(r)).filter((r): r is string => r !== null);
    try {
      await this.transport.sendMail({
        from: fromName
          ? { name: headerSafe(fromName, 200), address: headerSafe(mail.from) }
          : headerSafe(mail.from),
        to: headerSafe(mail.to),
        replyTo: mail.replyTo ? headerSafe(mail.replyTo) : undefined,
        subject: headerSafe(mail.subject),
        text: mail.text,
        html: mail.html ?? undefined,
        attachments: mail.attachments?.map((a) => ({
          filename: headerSafe(a.filename, 255),
          contentType: headerSafe(a.contentType, 255),
          content: a.content,
        })),
        messageId: safeMessageId(mail.messageId) ?? undefined,
        inReplyTo: safeMessageId(mail.inReplyTo) ?? undefined,
        references: refs.length ? refs.join(' ') : undefined,
        headers,
      });
    } catch (err) {
      // Typed by what it means for this send: an outage of the relay, a verdict on this mail, or a retry.
      throw toRelayError(err);
    }
  }

  /** Connects and logs in without sending: tells whether the relay is usable (errors as `send` throws them). */
  async verify(): Promise<void> {
    try {
      await this.transport.verify();
    } catch (err) {
      throw toRelayError(err);
    }
  }

  close(): void {
    this.transport.close();
  }
}
