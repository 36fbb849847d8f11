import type { SendMailOptions } from 'nodemailer';
import { headerSafe, safeMessageId } from './header-safe.js';

// A reply as the outbox hands it over, and the one way it becomes a mail's headers and parts, whether an SMTP
// relay or Microsoft Graph (as raw MIME) sends it.

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

/** The support address and the display name its mail carries (SUPPORT_ADDRESS). */
export interface SupportIdentity {
  address: string;
  name?: string;
}

/** nodemailer's options for a mail: headers only from values that passed headerSafe. */
export function mailOptions(mail: OutgoingMail, support: SupportIdentity): SendMailOptions {
  const headers: Record<string, string> = {};
  if (mail.autoSubmitted) {
    headers['Auto-Submitted'] = mail.autoSubmitted;
    // Ask Exchange and friends not to answer our answer.
    headers['X-Auto-Response-Suppress'] = 'All';
  }
  // Mail from the support address carries its display name unless the send names another (a notification).
  const fromName = mail.fromName ?? (mail.from === support.address ? support.name : undefined);
  const refs = mail.references.map((r) => safeMessageId(r)).filter((r): r is string => r !== null);
  return {
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
  };
}
