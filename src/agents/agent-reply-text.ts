import {
  isAttribution,
  isQuoteMarkerLine,
  isSignatureSeparatorLine,
  isSignOffLine,
  type LineSource,
} from '../channels/email/reply-cutter.js';
import { htmlAnswerText } from './agent-reply-html.js';
import { isReplyMarkerLine } from './reply-marker.js';

// An agent answers a notification by pressing Reply: what goes to the customer is the words above the
// client's quote of the notification, without the agent's signature. Commands on the first lines (#note,
// #status resolved) are words like any other here; they are read later.
//
// The HTML (when there is one) is cut where the client's quote container starts, then turned into text; the
// text rules below then cut whatever the client left of the quote (an attribution line, the marker) and the
// signature. Both are linear: the HTML is scanned tag by tag once, and each line of text is read a bounded
// number of times (itself, a few lines of look-ahead, and near the end a signature-sized window).

export interface AgentReplyInput {
  /** mailparser's `parsed.text` (null when the mail has no text part). */
  text: string | null;
  /** mailparser's `parsed.html` as a string, raw (NOT sanitised), or null. */
  html: string | null;
  /** The agent, for recognising a signature that starts with their name. */
  agent?: { name: string; email: string };
}

export interface AgentReply {
  text: string;
  /** Content-IDs of the inline images the kept answer shows (from its HTML); null when read from the text. */
  keptCids: string[] | null;
}

// Longer lines are words, not attributions, headers or signatures: the patterns are not tried on them.
const maxLine = 1000;
// The answer is at the top; of a longer text only this much is read.
const maxText = 200_000;
const quoted = /^\s*>/;
const bareQuote = /^[\s>]*$/;
const clockTime = /\d:\d\d/;

// ---- Where the quote starts ----------------------------------------------------------------------------

// An Outlook-style header block: "From:" then, on the very next lines, "Sent:", "To:", "Subject:" (Gmail's text
// bolds them as "*From:*"). Prose that merely starts "From:" is not followed by two more header lines.
const headerFrom = /^\s*\*?(From|差出人|送信者|送信元)\*?\s*[:：]/i;
const headerNext = /^\s*\*?(Sent|Date|送信日時|日時|日付|To|宛先|Cc|Subject|件名)\*?\s*[:：]/i;
const headerDate = /^\s*\*?(Sent|Date|送信日時|日時|日付)\*?\s*[:：][^\d]{0,40}\d/i;
// Mobile footers the customer cutter does not list.
const extraFooters =
  /^\s*((iOS|Android)\s*版\s*Outlook\s*を入手|Sent from Mail for Windows|Windows\s*版メールから送信)/i;
// The end of an attribution line of any client: "… wrote:", "… さんは書きました:", "…のメール:".
const attributionEnd =
  /(wrote|書きました|のメール|のメッセージ|a écrit|schrieb|escribió|写道|寫道)\s*[:：]?\s*-*$/i;

function isHeaderBlock(lines: LineSource, i: number): boolean {
  const first = lines.at(i)!;
  if (!headerFrom.test(first)) return false;
  const next = [1, 2, 3].map((d) => lines.at(i + d) ?? '');
  if (next.some((l) => l.length > maxLine) || !headerNext.test(next[0]!)) return false;
  if (!headerNext.test(next[1]!) && !headerNext.test(next[2]!)) return false;
  // A real block names an address or a date: "Sent: Tuesday, December 1, 2026 10:02 AM".
  return [first, ...next].some((l) => l.includes('@') || headerDate.test(l));
}

/** A line that introduces a quote: "X <x@y> wrote:", "2026/12/01 10:00 に X さんは書きました:". */
function isAttributionLine(trimmed: string): boolean {
  if (trimmed.length > 300 || !attributionEnd.test(trimmed)) return false;
  return trimmed.includes('@') || clockTime.test(trimmed);
}

/** The first half of an attribution wrapped over two lines ("On Fri, 04 Dec 2026 10:20:11 +0900" / "X wrote:"). */
function isAttributionHead(trimmed: string): boolean {
  if (!trimmed || trimmed.length > 300) return false;
  if (trimmed.endsWith('<') || trimmed.endsWith(',')) return true;
  return /^(On\s|\d{4}[-/年])/i.test(trimmed) && clockTime.test(trimmed) && !/[.。]$/.test(trimmed);
}

/** Where the quote starting at `k` really starts: at the attribution line(s) just above it, if any. */
function withAttributionAbove(lines: LineSource, k: number): number {
  let j = k - 1;
  for (let skipped = 0; j >= 0 && skipped < 4 && bareQuote.test(lines.at(j)!); skipped++) j--;
  if (j < 0 || !isAttributionLine(lines.at(j)!.trim())) return k;
  return j > 0 && isAttributionHead(lines.at(j - 1)!.trim()) ? j - 1 : j;
}

/**
 * The first line of the client's quote of the notification (or of a mobile footer above it), or
 * `lines.length`: the reply marker, quoted or not; an attribution; an Outlook header block; "-----Original
 * Message-----"; or two lines quoted with ">" (a single ">" line between the agent's own lines is theirs).
 */
export function agentQuoteStart(lines: LineSource): number {
  let runStart = -1;
  let runLength = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines.at(i)!;
    if (isReplyMarkerLine(line)) return withAttributionAbove(lines, runStart >= 0 ? runStart : i);
    if (quoted.test(line)) {
      if (runStart < 0) runStart = i;
      if (++runLength >= 2) return withAttributionAbove(lines, runStart);
      continue;
    }
    if (!line.trim()) continue;
    runStart = -1;
    runLength = 0;
    if (line.length > maxLine) continue;
    if (isQuoteMarkerLine(line) || extraFooters.test(line)) return i;
    if (isAttribution(line, lines.at(i + 1) ?? '')) return i;
    if (isHeaderBlock(lines, i)) return i;
  }
  return runStart >= 0 ? withAttributionAbove(lines, runStart) : lines.length;
}

// ---- Where the signature starts ------------------------------------------------------------------------

// A signature is at most this many non-blank lines, and the checks that read ahead run only this near the end.
const maxSignatureLines = 8;
const signatureWindow = 14;
// "━━━━━━━━", "＝＝＝＝＝", "-----", "* * * * *": five or more decoration characters and nothing else.
const decoration = /^[\s━─＝=＊*～〜~\-_＿―－═]+$/;
const sentenceEnd = /[。？?！!]$/;
const otherSignOffs = /^\s*(Sincerely|Yours (sincerely|truly)|Best|Many thanks and regards)\s*[,.]?\s*$/i;
// Contact details: phone, mail, web, company, address, department or title.
const contactDetail = new RegExp(
  [
    String.raw`\b(TEL|Tel|Phone|Mobile|Mob|Fax|FAX|Direct)\b`,
    '電話|携帯|直通|内線',
    String.raw`\+?\d[\d ()‐-]{7,}\d`,
    String.raw`[^\s@]+@[^\s@]+\.[a-z]`,
    String.raw`https?://|www\.`,
    String.raw`株式会社|有限会社|合同会社|\b(Inc|Ltd|LLC|GmbH|K\.K|Corp|Co\.|Corporation|Limited)\b`,
    String.raw`〒|\d{3}-\d{4}|東京都|大阪府|京都府|北海道|\S{1,3}県|Tokyo|Osaka|Japan`,
    String.raw`部|課|グループ|チーム|サポート|エンジニア|マネージャー|\b(Support|Engineer|Manager|Consultant|Team|Department|Director|Specialist|Services)\b`,
  ].join('|'),
  'i',
);
const organisation =
  /株式会社|有限会社|合同会社|部|課|グループ|チーム|\b(Inc|Ltd|LLC|K\.K|Corp|Co\.|Support|Team|Department)\b/i;

const squash = (s: string) =>
  s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s・.]/g, '');

/** The agent's name as it may appear in a signature: whole, family name first or last, or one part of it. */
function nameKeys(name: string | undefined): string[] {
  const keys = new Set<string>();
  for (const part of (name ?? '').split(/[()（）/|,、]/)) {
    const words = part.trim().split(/\s+/).filter(Boolean);
    if (words.length === 2) keys.add(squash(`${words[1]} ${words[0]}`));
    for (const k of [part, ...words].map(squash)) if (k.length >= 2) keys.add(k);
  }
  return [...keys];
}

function isDecorationLine(t: string): boolean {
  return t.length <= 200 && decoration.test(t) && t.replace(/\s/g, '').length >= 5;
}

/** A line that names the agent and is not a sentence: "山田 太郎 / Taro Yamada", "Emily Carter | Support". */
function holdsName(t: string, names: readonly string[]): boolean {
  if (t.length > 80 || sentenceEnd.test(t) || (t.endsWith('.') && t.split(/\s+/).length > 6)) return false;
  const s = squash(t);
  return names.some((n) => s.includes(n));
}

/** The non-blank lines from..end-1, if they are few and short enough for a signature; else null. */
function shortBlock(lines: LineSource, from: number, end: number): string[] | null {
  const out: string[] = [];
  for (let j = from; j < end; j++) {
    const t = lines.at(j)!.trim();
    if (!t) continue;
    if (out.length === maxSignatureLines || t.length > 100) return null;
    out.push(t);
  }
  return out;
}

/** Whether the lines under a sign-off ("Best regards,") are a name and contact details, not more message. */
function isSignatureUnder(lines: LineSource, from: number, end: number): boolean {
  const block = shortBlock(lines, from, end);
  if (!block?.length || block.some((t) => t.length > 80 || sentenceEnd.test(t))) return false;
  const first = block[0]!;
  return first.length <= 50 && first.split(/\s+/).length <= 6 && !/[.:：]$/.test(first);
}

/** Where the signature starting with the agent's name on line i starts (a company line may stand above it). */
function nameSignatureStart(lines: LineSource, i: number, end: number): number {
  const block = shortBlock(lines, i, end);
  if (!block?.some((t) => contactDetail.test(t))) return -1;
  let k = i;
  while (k > 0 && i - k < 2) {
    const above = lines.at(k - 1)!.trim();
    if (!above || above.length > 60 || sentenceEnd.test(above) || !organisation.test(above)) break;
    k--;
  }
  return k;
}

/**
 * The first line of the agent's signature above `end` (where the quote starts), or `end`: a "-- " separator,
 * a line of decoration ("━━━━━") near the end, a sign-off ("Best regards,") over a name and contact details,
 * or a short block of contact details that starts with the agent's name. Closing words such as
 * "よろしくお願いいたします。" are the message's and stay.
 */
export function agentSignatureStart(lines: LineSource, end: number, agentName?: string): number {
  const names = nameKeys(agentName);
  for (let i = 0; i < end; i++) {
    const line = lines.at(i)!;
    const t = line.trim();
    if (!t || line.length > maxLine) continue;
    if (isSignatureSeparatorLine(line)) return i;
    if (end - i > signatureWindow) continue;
    if (isDecorationLine(t)) return i;
    if ((isSignOffLine(line) || otherSignOffs.test(line)) && isSignatureUnder(lines, i + 1, end)) return i;
    if (names.length && holdsName(t, names)) {
      const start = nameSignatureStart(lines, i, end);
      if (start >= 0) return start;
    }
  }
  return end;
}

// ---- The answer ----------------------------------------------------------------------------------------

// The HTML's inline images stand in its text as their Content-ID between these two private-use characters,
// so that the lines they stand on tell which of them the kept answer shows.
export const cidOpen = '\uE000';
export const cidClose = '\uE001';
const cidToken = new RegExp(`${cidOpen}([^${cidOpen}${cidClose}]{1,250})${cidClose}`, 'g');
const cidPlaceholder = /\[cid:[^\]\s]{1,250}\]/g;

/** The agent's words in a text (from the HTML when `fromHtml`, its images standing as tokens). */
function answerOf(text: string, agentName: string | undefined, fromHtml: boolean): AgentReply {
  const cidsOn: string[][] = [];
  const lines = text
    .slice(0, maxText)
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line, i) => {
      if (!fromHtml) return line.includes('[cid:') ? line.replace(cidPlaceholder, '') : line;
      if (!line.includes(cidOpen)) return line;
      cidsOn[i] = [...line.matchAll(cidToken)].map((m) => m[1]!);
      return line.replace(cidToken, '').replace(/[\uE000\uE001]/g, '');
    });
  const end = agentSignatureStart(lines, agentQuoteStart(lines), agentName);
  const kept = lines.slice(0, end).map((l) => l.trimEnd());
  return {
    text: kept
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim(),
    keptCids: fromHtml ? [...new Set(cidsOn.slice(0, end).flatMap((c) => c ?? []))] : null,
  };
}

/** The agent's new words in a reply to a notification, and the inline images they show. */
export function agentReplyText(input: AgentReplyInput): AgentReply {
  const name = input.agent?.name;
  if (input.html) {
    const fromHtml = answerOf(htmlAnswerText(input.html), name, true);
    if (fromHtml.text) return fromHtml;
    // Nothing usable above the quote in the HTML: the text part may still hold words (or it agrees).
    if (input.text) {
      const fromText = answerOf(input.text, name, false);
      if (fromText.text) return fromText;
    }
    return fromHtml;
  }
  return input.text ? answerOf(input.text, name, false) : { text: '', keptCids: null };
}
