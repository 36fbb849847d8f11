import { createHash } from 'node:crypto';
import Encoding from 'encoding-japanese';
import { convert as htmlToText } from 'html-to-text';
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import sanitizeHtml from 'sanitize-html';
import { safeMessageId } from './header-safe.js';
import { autoReplyBlocker, type LoopReason } from './loop-guard.js';
import { cutReply } from './reply-cutter.js';

// One shape for every inbound mail, whatever client, charset or structure it came in.

export interface NormalisedAttachment {
  filename: string;
  contentType: string;
  size: number;
  content: Buffer | null;
  omittedReason: string | null;
}

export interface NormalisedMail {
  messageId: string;
  inReplyTo: string | null;
  references: string[];
  from: { address: string; name: string | null } | null;
  subject: string;
  /** The customer's new words, quoted history and signature cut. */
  text: string;
  /** The whole decoded text, as received. */
  fullText: string;
  html: string | null;
  date: Date | null;
  attachments: NormalisedAttachment[];
  autoReplyBlocker: LoopReason | null;
}

export interface NormaliseOptions {
  supportAddress: string;
  attachmentMaxBytes: number;
}

export class UnparseableMailError extends Error {
  readonly code = 'mail_unparseable';
}

const sanitizeOptions: sanitizeHtml.IOptions = {
  allowedTags: sanitizeHtml.defaults.allowedTags.concat(['img']),
  allowedAttributes: { a: ['href', 'title'], img: ['alt', 'width', 'height'], td: ['colspan', 'rowspan'] },
  // Remote images are tracking pixels as often as not; keep the alt text, drop the fetch.
  allowedSchemes: ['http', 'https', 'mailto'],
  transformTags: { img: (tagName, attribs) => ({ tagName, attribs: { alt: attribs.alt ?? '' } }) },
  disallowedTagsMode: 'discard',
};

/**
 * Text declared as ASCII or Latin-1 that is really Japanese (or UTF-8) arrives as mojibake. When every
 * character fits in one byte and enough of them are high, re-read the bytes with a detected encoding.
 */
export function repairMislabelled(text: string): string {
  if (!text || /[^\u0000-\u00ff]/.test(text)) return text;
  const high = text.match(/[\u0080-\u00ff]/g)?.length ?? 0;
  if (high < 2 || high / text.length < 0.05) return text;
  const bytes = Buffer.from(text, 'latin1');
  const detected = Encoding.detect(bytes);
  if (!detected || detected === 'ASCII' || detected === 'BINARY' || detected === 'UNICODE') return text;
  const repaired = Encoding.convert(bytes, { to: 'UNICODE', from: detected, type: 'string' });
  return repaired.includes('\ufffd') ? text : repaired;
}

function firstAddress(
  field: AddressObject | AddressObject[] | undefined,
): { address: string; name: string | null } | null {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  for (const group of list) {
    for (const a of group.value) {
      if (a.address && /^[^\s@]+@[^\s@]+$/.test(a.address)) {
        return { address: a.address.toLowerCase(), name: a.name?.trim() || null };
      }
    }
  }
  return null;
}

function headerText(parsed: ParsedMail, name: string): string | undefined {
  const v = parsed.headers.get(name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && 'text' in v && typeof v.text === 'string') return v.text;
  if (typeof v === 'object' && 'value' in v && typeof v.value === 'string') return v.value;
  return String(v);
}

function looksLikeMail(raw: Buffer, parsed: ParsedMail): boolean {
  // mailparser accepts anything; a mail has at least one header line of the form "Name: value" at the top
  // and one of the headers a real message carries.
  const head = raw.subarray(0, 2048).toString('latin1');
  if (!/^[\x21-\x39\x3b-\x7e]+:/.test(head)) return false;
  return parsed.headers.has('from') || parsed.headers.has('message-id') || parsed.headers.has('date');
}

export async function normaliseMail(raw: Buffer, options: NormaliseOptions): Promise<NormalisedMail> {
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, {
      skipImageLinks: true,
      skipTextLinks: true,
      maxHtmlLengthToParse: 2_000_000,
    });
  } catch (err) {
    throw new UnparseableMailError(`MIME parse failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!looksLikeMail(raw, parsed))
    throw new UnparseableMailError('no mail headers found (not an RFC 5322 message)');

  const from = firstAddress(parsed.from);
  const rawHtml = typeof parsed.html === 'string' ? parsed.html : null;
  const html = rawHtml ? sanitizeHtml(rawHtml, sanitizeOptions) : null;
  let fullText = parsed.text ?? '';
  if (!fullText.trim() && rawHtml) {
    fullText = htmlToText(rawHtml, {
      wordwrap: false,
      selectors: [
        { selector: 'img', format: 'skip' },
        { selector: 'a', options: { ignoreHref: true } },
      ],
    });
  }
  fullText = repairMislabelled(fullText);
  const subject = repairMislabelled((parsed.subject ?? '').replace(/\s+/g, ' ').trim());

  const references = (
    Array.isArray(parsed.references) ? parsed.references : parsed.references ? [parsed.references] : []
  )
    .flatMap((r) => r.split(/\s+/))
    .map((r) => safeMessageId(r))
    .filter((r): r is string => r !== null);

  const attachments = parsed.attachments.map((a): NormalisedAttachment => {
    const tooBig = a.size > options.attachmentMaxBytes;
    return {
      filename: (a.filename ?? 'attachment').slice(0, 255),
      contentType: a.contentType || 'application/octet-stream',
      size: a.size,
      content: tooBig ? null : a.content,
      omittedReason: tooBig ? `larger than ${options.attachmentMaxBytes} bytes` : null,
    };
  });

  const headers = parsed.headers;
  const blocker = autoReplyBlocker({
    header: (name) => headerText(parsed, name),
    hasHeader: (name) => headers.has(name),
    from: from?.address ?? null,
    supportAddress: options.supportAddress,
  });

  return {
    // A mail without a Message-ID still needs one stable key, so that a redelivery of the same bytes dedupes.
    messageId:
      safeMessageId(parsed.messageId) ??
      `<sha256.${createHash('sha256').update(raw).digest('hex')}@no-message-id>`,
    inReplyTo: safeMessageId(parsed.inReplyTo),
    references,
    from,
    subject,
    text: cutReply(fullText),
    fullText,
    html,
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null,
    attachments,
    autoReplyBlocker: blocker,
  };
}
