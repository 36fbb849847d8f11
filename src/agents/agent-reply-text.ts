import {
  isAttribution,
  isQuoteMarkerLine,
  isSignatureSeparatorLine,
  isSignOffLine,
  type LineSource,
} from '../channels/email/reply-cutter.js';
import { cidClose, cidOpen, htmlAnswerText, htmlWholeText } from './agent-reply-html.js';
import { hiddenReplyMarker, isReplyMarkerLine } from './reply-marker.js';

// An agent answers a notification by pressing Reply: what goes to the customer is the words above the
// client's quote of the notification, without the agent's signature. Commands on the first lines (#note,
// #status resolved) are words like any other here; they are read later.
//
// The HTML (when there is one) is cut where the client's quote container starts, then turned into text; the
// text rules below then cut whatever the client left of the quote (an attribution line, the marker) and the
// signature. A client that writes under the quote (s-nail, Thunderbird by default) is read from under it.
// All of it is linear: the HTML is scanned tag by tag once, and each line of text is read a bounded number of
// times (itself, a few lines of look-ahead, and near the end a signature-sized window).

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
// Quote headers and mobile footers the customer cutter does not list: Samsung Email's "-------- オリジナルメッセージ
// --------", "Android 版 Outlook を入手".
const extraQuoteMarkers =
  /^\s*(-{2,}\s*(オリジナルメッセージ|転送メッセージ|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}|(iOS|Android)\s*版\s*Outlook\s*を入手|Sent from Mail for Windows|Windows\s*版メールから送信)/i;
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
  if (j < 0) return k;
  const last = lines.at(j)!.trim();
  const above = j > 0 ? lines.at(j - 1)!.trim() : '';
  if (isAttributionLine(last)) return isAttributionHead(above) ? j - 1 : j;
  // Wrapped before its last word: "On Tue, Dec 8, 2026 at 9:20 AM Ana <support@partner.example>" / "wrote:".
  return above && isAttributionLine(`${above} ${last}`) ? j - 1 : k;
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
    if (isQuoteMarkerLine(line) || extraQuoteMarkers.test(line)) return i;
    if (isAttribution(line, lines.at(i + 1) ?? '')) return i;
    if (isHeaderBlock(lines, i)) return i;
  }
  return runStart >= 0 ? withAttributionAbove(lines, runStart) : lines.length;
}

/** What a quoted marker line is quoted with ("> ", ">> ", a tab), or null when the marker is not quoted. */
function quotePrefix(line: string): string | null {
  const hidden = line.indexOf(hiddenReplyMarker);
  const at = hidden >= 0 ? hidden : line.indexOf('##-');
  const prefix = at > 0 ? line.slice(0, at) : '';
  return prefix && bareQuote.test(prefix) ? prefix : null;
}

/**
 * Where the agent's own words start under a quote that opens the text at `q`, or -1 when nothing but quote
 * follows. The quote must be the notification's: its attribution ("X <x@y> wrote:"), then the reply marker,
 * quoted, within a few lines; every line after it quoted the same way ("> ", or a tab as mailx does) is
 * quote too.
 */
function answerBelowQuote(lines: LineSource, q: number): number {
  let prefix: string | null = null;
  let i = q;
  for (; i < lines.length && i - q < 6 && prefix === null; i++) {
    const line = lines.at(i)!;
    if (isReplyMarkerLine(line)) {
      prefix = quotePrefix(line);
      if (prefix === null) return -1;
    }
  }
  if (prefix === null) return -1;
  const bare = prefix.trimEnd();
  for (; i < lines.length; i++) {
    const line = lines.at(i)!;
    if (line.startsWith(prefix) || quoted.test(line) || !line.trim() || (bare && line.trimEnd() === bare))
      continue;
    return i;
  }
  return -1;
}

// ---- Where the signature starts ------------------------------------------------------------------------

// A signature is at most this many non-blank lines, and the checks that read ahead run only this near the end.
const maxSignatureLines = 8;
const signatureWindow = 14;
// "━━━━━━━━", "＝＝＝＝＝", "-----", "* * * * *": five or more decoration characters and nothing else.
const decoration = /^[\s━─＝=＊*～〜~\-_＿―－═]+$/;
const sentenceEnd = /[。？?！!]$/;
const otherSignOffs = /^\s*(Sincerely|Yours (sincerely|truly)|Best|Many thanks and regards)\s*[,.]?\s*$/i;
// Contact details: phone, mail, web, company, address; and a department or title.
const contact = new RegExp(
  [
    String.raw`\b(TEL|Tel|Phone|Mobile|Mob|Fax|FAX|Direct)\b`,
    '電話|携帯|直通|内線',
    String.raw`\+?\d[\d ()‐-]{7,}\d`,
    String.raw`[^\s@]+@[^\s@]+\.[a-z]`,
    String.raw`https?://|www\.`,
    String.raw`株式会社|有限会社|合同会社|\b(Inc|Ltd|LLC|GmbH|K\.K|Corp|Co\.|Corporation|Limited)\b`,
    String.raw`〒|\d{3}-\d{4}|東京都|大阪府|京都府|北海道|\S{1,3}県|Tokyo|Osaka|Japan`,
  ].join('|'),
  'i',
);
const title =
  /部|課|グループ|チーム|サポート|エンジニア|マネージャー|\b(Support|Engineer|Manager|Consultant|Team|Department|Director|Specialist|Services)\b/i;
const organisation =
  /株式会社|有限会社|合同会社|部|課|グループ|チーム|\b(Inc|Ltd|LLC|K\.K|Corp|Co\.|Support|Team|Department)\b/i;
const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

/** The words of a text, lower case ("Ｔａｒｏ　Yamada" → taro, yamada). */
const wordsOf = (s: string) =>
  s
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);

/** The agent's name as a signature may write it: whole, either way round, or one part of it. */
function nameKeys(name: string | undefined): string[][] {
  const keys: string[][] = [];
  for (const part of (name ?? '').split(/[()（）/|,、]/)) {
    const words = wordsOf(part);
    if (!words.length) continue;
    keys.push(words);
    if (words.length === 2) keys.push([words[1]!, words[0]!]);
    if (words.length > 1) for (const w of words) if (w.length >= 2) keys.push([w]);
  }
  return keys;
}

function isDecorationLine(t: string): boolean {
  return t.length <= 200 && decoration.test(t) && t.replace(/\s/g, '').length >= 5;
}

/**
 * A line that names the agent and is not a sentence: "山田 太郎 / Taro Yamada", "山田太郎", "Emily Carter |
 * Support". Japanese names are found written with or without the space; others as whole words.
 */
function holdsName(t: string, keys: readonly string[][]): boolean {
  if (t.length > 80 || sentenceEnd.test(t) || (t.endsWith('.') && t.split(/\s+/).length > 6)) return false;
  const words = wordsOf(t);
  const joined = words.join('');
  return keys.some((key) => {
    if (cjk.test(key.join(''))) return joined.includes(key.join(''));
    for (let i = 0; i + key.length <= words.length; i++)
      if (key.every((w, j) => words[i + j] === w)) return true;
    return false;
  });
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
  if (!block?.some((t) => contact.test(t) || title.test(t))) return -1;
  let k = i;
  while (k > 0 && i - k < 2) {
    const above = lines.at(k - 1)!.trim();
    if (!above || above.length > 60 || sentenceEnd.test(above) || !organisation.test(above)) break;
    k--;
  }
  return k;
}

/** Whether what lies under a decoration line is a signature (or nothing), not more of the message. */
function isSignatureBox(lines: LineSource, from: number, end: number, keys: readonly string[][]): boolean {
  const block = shortBlock(lines, from, end);
  if (!block) return false;
  return !block.length || block.some((t) => isDecorationLine(t) || contact.test(t) || holdsName(t, keys));
}

/**
 * The first line of the agent's signature above `end` (where the quote starts), or `end`: a "-- " separator,
 * a line of decoration ("━━━━━") near the end, a sign-off ("Best regards,") over a name and contact details,
 * or a short block of contact details that starts with the agent's name. Closing words such as
 * "よろしくお願いいたします。" are the message's and stay.
 */
export function agentSignatureStart(lines: LineSource, end: number, agentName?: string): number {
  const keys = nameKeys(agentName);
  for (let i = 0; i < end; i++) {
    const line = lines.at(i)!;
    const t = line.trim();
    if (!t || line.length > maxLine) continue;
    if (isSignatureSeparatorLine(line)) return i;
    if (end - i > signatureWindow) continue;
    if (isDecorationLine(t) && isSignatureBox(lines, i + 1, end, keys)) return i;
    if ((isSignOffLine(line) || otherSignOffs.test(line)) && isSignatureUnder(lines, i + 1, end)) return i;
    if (keys.length && holdsName(t, keys)) {
      const start = nameSignatureStart(lines, i, end);
      if (start >= 0) return start;
    }
  }
  return end;
}

// ---- The answer ----------------------------------------------------------------------------------------

/** Lines from..lines.length, read through the same interface (for the part under a quote). */
function linesFrom(lines: LineSource, from: number): LineSource {
  return { length: Math.max(0, lines.length - from), at: (i) => (i < 0 ? undefined : lines.at(from + i)) };
}

/**
 * The lines that are the agent's answer: [start, end). Usually the answer is above the quote (start 0). A
 * client that writes under the quote (s-nail, Thunderbird by default) leaves nothing above it: the answer is
 * then what follows the quoted notification, which must hold the reply marker to be taken for it.
 */
export function agentAnswerLines(lines: LineSource, agentName?: string): { start: number; end: number } {
  const quote = agentQuoteStart(lines);
  let ownAbove = false;
  for (let i = 0; i < quote && !ownAbove; i++) ownAbove = lines.at(i)!.trim() !== '';
  const below = ownAbove || quote === lines.length ? -1 : answerBelowQuote(lines, quote);
  if (below < 0) return { start: 0, end: agentSignatureStart(lines, quote, agentName) };
  const rest = linesFrom(lines, below);
  return { start: below, end: below + agentSignatureStart(rest, agentQuoteStart(rest), agentName) };
}

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
  const { start, end } = agentAnswerLines(lines, agentName);
  const kept = lines.slice(start, end).map((l) => l.trimEnd());
  return {
    text: kept
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim(),
    keptCids: fromHtml ? [...new Set(cidsOn.slice(start, end).flatMap((c) => c ?? []))] : null,
  };
}

/** The agent's new words in a reply to a notification, and the inline images they show. */
export function agentReplyText(input: AgentReplyInput): AgentReply {
  const name = input.agent?.name;
  if (!input.html) return input.text ? answerOf(input.text, name, false) : { text: '', keptCids: null };
  const above = answerOf(htmlAnswerText(input.html), name, true);
  if (above.text) return above;
  // Nothing above the quote in the HTML: the text part may hold words (written under the quote, say).
  if (input.text) {
    const fromText = answerOf(input.text, name, false);
    return fromText.text ? fromText : above;
  }
  // An HTML-only answer written under the quote.
  const whole = answerOf(htmlWholeText(input.html), name, true);
  return whole.text ? whole : above;
}
