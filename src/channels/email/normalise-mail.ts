import { createHash } from 'node:crypto';
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import sanitizeHtml from 'sanitize-html';
import { agentReplyText } from '../../agents/agent-reply-text.js';
import { isNotificationId } from '../../agents/notification-ids.js';
import { tokenInAddress } from '../../agents/reply-token.js';
import { attachmentOmissions } from './attachment-budget.js';
import { repairCharsets } from './charset-repair.js';
import { repairHeaderCharsets } from './header-charset.js';
import { safeMessageId } from './header-safe.js';
import { tidyHeaderSyntax } from './header-syntax.js';
import { flattenHtml, htmlDepth, maxHtmlDepth, textOfHtml } from './html-text.js';
import { autoReplyBlocker, type LoopReason } from './loop-guard.js';
import { cutReply } from './reply-cutter.js';

// One shape for every inbound mail, whatever client, charset or structure it came in.

export interface NormalisedAttachment {
  filename: string;
  contentType: string;
  size: number;
  content: Buffer | null;
  omittedReason: string | null;
  /** Its Content-ID, for an image shown inline (an agent's answer keeps those its kept words show). */
  cid: string | null;
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
  /** Raw Authentication-Results values, top first (see sender-authentication.ts for which one counts). */
  authenticationResults: string[];
  /** Where it was addressed: To, Cc, and what the receiving server recorded (Delivered-To, X-Original-To). */
  recipients: string[];
  /** Of mail answering an agent notification: the agent's own words, read from the raw HTML or the text. */
  agentReply: AgentReply | null;
}

export type AgentReply = ReturnType<typeof agentReplyText>;

export interface NormaliseOptions {
  supportAddress: string;
  attachmentMaxBytes: number;
  /** All attachments of one mail together; beyond it they are listed by name and size only. */
  attachmentsMaxBytesPerMail?: number;
}

export class UnparseableMailError extends Error {
  constructor(
    message: string,
    readonly code: string = 'mail_unparseable',
  ) {
    super(message);
  }
}

const sanitizeOptions: sanitizeHtml.IOptions = {
  allowedTags: sanitizeHtml.defaults.allowedTags.concat(['img']),
  allowedAttributes: { a: ['href', 'title'], img: ['alt', 'width', 'height'], td: ['colspan', 'rowspan'] },
  // Remote images are tracking pixels as often as not; keep the alt text, drop the fetch.
  allowedSchemes: ['http', 'https', 'mailto'],
  transformTags: { img: (tagName, attribs) => ({ tagName, attribs: { alt: attribs.alt ?? '' } }) },
  disallowedTagsMode: 'discard',
};

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

// The receiving server's own Authentication-Results header is near the top; a mail with more than this
// many is not read further down.
const maxAuthResultsHeaders = 50;

/** Every Authentication-Results value, unfolded, in header order (top first). */
function authResultsHeaders(parsed: ParsedMail): string[] {
  const out: string[] = [];
  for (const { key, line } of parsed.headerLines) {
    if (key !== 'authentication-results') continue;
    out.push(
      line
        .slice(line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim(),
    );
    if (out.length === maxAuthResultsHeaders) break;
  }
  return out;
}

/** Raw header values by lower-case name, unfolded; mailparser folds List-* headers into one object. */
function rawHeaders(parsed: ParsedMail): Map<string, string> {
  const out = new Map<string, string>();
  for (const { key, line } of parsed.headerLines) {
    if (out.has(key)) continue;
    out.set(
      key,
      line
        .slice(line.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim(),
    );
  }
  return out;
}

// An agent's answer is at the top of its HTML: a longer HTML is read only this far.
const maxAgentHtml = 2_000_000;

// The customer's new words are at the top; the cutter (linear) need not read a whole huge text.
const maxCutterInput = 200_000;

function looksLikeMail(raw: Buffer, parsed: ParsedMail): boolean {
  // mailparser accepts anything; a mail has at least one header line of the form "Name: value" at the top
  // (obsolete syntax allows white space before the colon) and one of the headers a real message carries.
  const head = raw.subarray(0, 2048).toString('latin1');
  if (!/^[\x21-\x39\x3b-\x7e]+[ \t]*:/.test(head)) return false;
  return parsed.headers.has('from') || parsed.headers.has('message-id') || parsed.headers.has('date');
}

/** The mail repaired where senders commonly get it wrong, then parsed; anything that is not a mail throws. */
async function parseMail(raw: Buffer): Promise<{ parsed: ParsedMail; hasPlainText: boolean }> {
  let parsed: ParsedMail;
  // An mbox line, obsolete header syntax and mislabelled Japanese headers put right, so they read as sent.
  const readable = repairHeaderCharsets(tidyHeaderSyntax(raw));
  // A node the splitter cannot read will not parse below either; let mailparser give the reason.
  const repaired = await repairCharsets(readable).catch(() => ({ raw: readable, hasPlainText: true }));
  try {
    parsed = await simpleParser(repaired.raw, {
      skipImageLinks: true,
      skipTextLinks: true,
      maxHtmlLengthToParse: 2_000_000,
    });
  } catch (err) {
    throw new UnparseableMailError(`MIME parse failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!looksLikeMail(readable, parsed))
    throw new UnparseableMailError('no mail headers found (not an RFC 5322 message)');
  return { parsed, hasPlainText: repaired.hasPlainText };
}

/** The sanitised HTML (when safe to render) and the full text, from the HTML when there is no plain text. */
function readBody(parsed: ParsedMail, hasPlainText: boolean): { html: string | null; fullText: string } {
  let rawHtml = typeof parsed.html === 'string' ? parsed.html : null;
  // Too deeply nested to render safely in reasonable time: the words are kept, the markup is not.
  const tooDeep = rawHtml !== null && htmlDepth(rawHtml) > maxHtmlDepth;
  if (rawHtml && tooDeep) rawHtml = flattenHtml(rawHtml);
  const html = rawHtml && !tooDeep ? sanitizeHtml(rawHtml, sanitizeOptions) : null;
  let fullText = hasPlainText ? (parsed.text ?? '') : '';
  if (!fullText.trim() && rawHtml) fullText = textOfHtml(rawHtml);
  return { html, fullText };
}

function referencesOf(parsed: ParsedMail): string[] {
  return (Array.isArray(parsed.references) ? parsed.references : parsed.references ? [parsed.references] : [])
    .flatMap((r) => r.split(/\s+/))
    .map((r) => safeMessageId(r))
    .filter((r): r is string => r !== null);
}

function attachmentsOf(parsed: ParsedMail, options: NormaliseOptions): NormalisedAttachment[] {
  const omitted = attachmentOmissions(parsed.attachments, {
    perAttachment: options.attachmentMaxBytes,
    perMail: options.attachmentsMaxBytesPerMail ?? Number.POSITIVE_INFINITY,
  });
  return parsed.attachments.map(
    (a, i): NormalisedAttachment => ({
      filename: (a.filename ?? 'attachment').slice(0, 255),
      contentType: a.contentType || 'application/octet-stream',
      size: a.size,
      content: omitted[i] ? null : a.content,
      omittedReason: omitted[i] ?? null,
      cid: a.cid?.replace(/^<|>$/g, '').slice(0, 250) || null,
    }),
  );
}

// A mail listing more recipients than this is not read further for reply addresses.
const maxRecipients = 100;
const bareAddress = /[^\s<>,;:"()[\]]{1,64}@[^\s<>,;:"()[\]]{1,255}/g;

/** Every address the mail was sent to, lower case: To and Cc, then the envelope the receiving server noted. */
function recipientsOf(parsed: ParsedMail): string[] {
  const out: string[] = [];
  for (const field of [parsed.to, parsed.cc])
    for (const group of Array.isArray(field) ? field : field ? [field] : [])
      for (const a of group.value) if (a.address) out.push(a.address.toLowerCase());
  for (const { key, line } of parsed.headerLines) {
    if (key !== 'delivered-to' && key !== 'x-original-to' && key !== 'envelope-to') continue;
    for (const m of line.slice(line.indexOf(':') + 1, 2000).matchAll(bareAddress))
      out.push(m[0].toLowerCase());
    if (out.length >= maxRecipients) break;
  }
  return [...new Set(out)].slice(0, maxRecipients);
}

/** Whether a mail answers an agent notification: sent to a reply address, or referring to a notification. */
function answersNotification(
  mail: Pick<NormalisedMail, 'recipients' | 'inReplyTo' | 'references'>,
  support: string,
) {
  if (mail.recipients.some((r) => tokenInAddress(r, support) !== null)) return true;
  return [mail.inReplyTo, ...mail.references].some((id) => id !== null && isNotificationId(id, support));
}

export async function normaliseMail(raw: Buffer, options: NormaliseOptions): Promise<NormalisedMail> {
  const { parsed, hasPlainText } = await parseMail(raw);
  const from = firstAddress(parsed.from);
  const { html, fullText } = readBody(parsed, hasPlainText);
  const headers = rawHeaders(parsed);
  const blocker = autoReplyBlocker({
    header: (name) => headers.get(name),
    hasHeader: (name) => headers.has(name),
    from: from?.address ?? null,
    supportAddress: options.supportAddress,
  });

  const threading = {
    inReplyTo: safeMessageId(parsed.inReplyTo),
    references: referencesOf(parsed),
    recipients: recipientsOf(parsed),
  };
  const agentReply = answersNotification(threading, options.supportAddress)
    ? agentReplyText({
        text: hasPlainText ? (parsed.text ?? null) : null,
        html: typeof parsed.html === 'string' ? parsed.html.slice(0, maxAgentHtml) : null,
        agent: from ? { name: from.name ?? '', email: from.address } : undefined,
      })
    : null;
  return {
    // A mail without a Message-ID still needs one stable key, so that a redelivery of the same bytes dedupes.
    messageId:
      safeMessageId(parsed.messageId) ??
      `<sha256.${createHash('sha256').update(raw).digest('hex')}@no-message-id>`,
    ...threading,
    agentReply,
    from,
    subject: (parsed.subject ?? '').replace(/\s+/g, ' ').trim(),
    // A delivery report has no quoted history to cut, and its diagnostics are the point.
    text: blocker === 'mailer-daemon' ? fullText.trim() : cutReply(fullText.slice(0, maxCutterInput)),
    fullText,
    html,
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null,
    attachments: attachmentsOf(parsed, options),
    autoReplyBlocker: blocker,
    authenticationResults: authResultsHeaders(parsed),
  };
}
