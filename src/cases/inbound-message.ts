import type { Channel, Locale } from '../vocabulary.js';
import type { NewAttachment } from './message-store.js';

// What a channel hands to the case core once it has read its input: who wrote, what they wrote, and how it
// threads. The channel did its own decoding (MIME, charsets, sender authentication); the core decides which
// case the words belong to and writes them.

export interface InboundMessage {
  channel: Channel;
  /** The sender's address, as the contact is stored under it. */
  from: { address: string; name: string | null };
  /** Why the channel could not prove the sender: no customer link, no joining a case by its tag. Null if proven. */
  unproven: string | null;
  subject: string;
  /** The sender's new words (quoted history and signature cut). */
  text: string;
  /** Everything as received. */
  fullText: string;
  html: string | null;
  attachments: NewAttachment[];
  /** Where the message was received (the mailbox), for the uniqueness of its Message-ID. */
  mailboxKey: string;
  messageId: string;
  inReplyTo: string | null;
  references: string[];
  /** Why nothing automatic may answer it (a loop guard's verdict); null when a reply may go. */
  autoReplyBlocker: string | null;
  /** The channel's stored original, when it keeps one. */
  rawMailId: string | null;
}

const japanese = /[\u3040-\u30ff\u3400-\u9fff]/;

/** A new case's language: its customer's, else Japanese when the words are, else `otherwise`. */
export function caseLocale(customerLocale: string | null, text: string, otherwise: Locale): Locale {
  if (customerLocale === 'ja' || customerLocale === 'en') return customerLocale;
  return japanese.test(text) ? 'ja' : otherwise;
}
