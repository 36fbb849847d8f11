// Where quoted history or a signature starts, for the mail clients our customers use. One forward pass over
// the lines, each line looked at a bounded number of times, and no pattern that can backtrack over more than
// one line's worth of text: a hostile mail (hundreds of KB of "> > >", one endless line) costs time in
// proportion to its length. (email-reply-parser, used here before, runs patterns such as
// `(.*)[0-9]{4}(.*)from(.*)<(.*)>:$` on every line and never finishes on some inputs.)

// Longer lines are words, not attributions or footers; the patterns are not even tried on them.
const maxMarkerLine = 1000;

const quoteMarkers: RegExp[] = [
  /^-{2,}\s*(Original Message|元のメッセージ|Forwarded message|転送されたメッセージ)\s*-{2,}/i,
  /^\s*(Sent from my|iPhoneから送信|iPadから送信|Android\s*から送信|Outlook for (iOS|Android)|Get Outlook for)/i,
  /^_{10,}\s*$/,
];
// Signature separators and sign-offs: the line and everything under it is the sender's signature.
const signatureMarkers: RegExp[] = [
  /^\s*(-{2,4}|_{2,4}|\+{2,4}|={2,4})\s*$/,
  /^\s*(Cheers|Best wishes|(\w{1,20}\s)?(\w{1,20}\sand\s)?regards)\s?[,!！]?\s*$/i,
  /^\s*(Von meinem|Gesendet von|Sendt fra|Envoyé de mon|Envoyé depuis|Enviado desde|Verzonden vanaf|Verstuurd vanaf)\s/i,
];
// Gmail (ja): "2026年11月25日(水) 10:00 山田 太郎 <taro@example.jp>:"; the address may wrap onto the next line.
const jaWeekdayDate = /^\d{4}年\d{1,2}月\d{1,2}日\s*[(（].[)）]\s*\d{1,2}:\d{2}/;
// "2026/11/25 10:00 山田さん wrote:" and the like: a date, a time, then a name and a colon.
const jaDate = /^\d{4}[年/]\d{1,2}[月/]\d{1,2}/;
const clockTime = /\d:\d\d/;
const jaAttributionEnd = /(さん|様|書きました|wrote|のメッセージ|のメール)$/;
// "Le 25 nov. 2026 à 10:00, Desk <d@x> a écrit :", "Am 25.11.2026 schrieb Desk <d@x>:" and the like.
const otherAttributionStart = /^(Le|El|Il|Em|Am|Den|Op|W dniu|Dnia|pe)\s/;
const otherAttributionVerbs = [
  ' a écrit',
  ' escribió',
  ' ha scritto',
  ' escreveu',
  ' schrieb',
  ' skrev',
  ' schreef',
  ' pisze',
  ' napisał',
  ' kirjoitti',
];
const englishAttributionStart = /^On\s/i;
const wrappedAddress = /^\s*[^\s<>@]+@[^\s<>]+>\s*(wrote:|[:：])\s*$/i;
const headerBlockStart = /^\s*(From|差出人|送信者|送信元)\s*[:：]/i;
const headerBlockNext = /^\s*(Sent|Date|送信日時|日時|日付|To|宛先|Subject|件名)\s*[:：]/i;
const quoted = /^\s*>/;

/** The text of an attribution line before its closing colon, or null when the line does not end in one. */
function beforeColon(trimmed: string): string | null {
  const last = trimmed.at(-1);
  return last === ':' || last === '：' ? trimmed.slice(0, -1).trimEnd() : null;
}

/** A "<name> wrote:"-style attribution on this line alone, or wrapped onto the next one. */
export function isAttribution(line: string, next: string): boolean {
  const t = line.trim();
  if (englishAttributionStart.test(t)) {
    if (t.length <= 220 && /\swrote:$/i.test(t)) return true;
    return t.endsWith('<') && wrappedAddress.test(next);
  }
  if (otherAttributionStart.test(t) && t.length <= 300 && beforeColon(t) !== null) {
    if (otherAttributionVerbs.some((v) => t.includes(v))) return true;
  }
  if (jaWeekdayDate.test(t)) {
    if (t.endsWith('<')) return wrappedAddress.test(next);
    if (beforeColon(t)?.endsWith('>')) return true;
  }
  if (jaDate.test(t)) {
    const head = beforeColon(t);
    if (head === null || !clockTime.test(head)) return false;
    if (jaAttributionEnd.test(head)) return true;
    return head.endsWith('>') && head.lastIndexOf('<') > head.lastIndexOf('>', head.length - 2);
  }
  return false;
}

/** A line that starts quoted history or a mobile footer ("-----Original Message-----", "Sent from my iPhone"). */
export function isQuoteMarkerLine(line: string): boolean {
  return line.length <= maxMarkerLine && quoteMarkers.some((re) => re.test(line));
}

/** A signature separator ("-- ", "__", "==") or a foreign mobile footer ("Von meinem iPhone gesendet"). */
export function isSignatureSeparatorLine(line: string): boolean {
  return line.length <= maxMarkerLine && (signatureMarkers[0]!.test(line) || signatureMarkers[2]!.test(line));
}

/** A sign-off on a line of its own: "Best regards,", "Cheers", "Kind regards". */
export function isSignOffLine(line: string): boolean {
  return line.length <= maxMarkerLine && signatureMarkers[1]!.test(line);
}

/** Lines read through `at` only, so a test can count how often each one is looked at. */
export interface LineSource {
  readonly length: number;
  at(index: number): string | undefined;
}

/**
 * The first line of quoted history or signature, or -1. `from` is where the customer's own text starts.
 * Each line is read a bounded number of times (itself and up to three lines of look-ahead).
 */
export function firstCutLine(lines: LineSource, from = 0): number {
  let ownTextSeen = false;
  for (let i = from; i < lines.length; i++) {
    const line = lines.at(i)!;
    const isQuoted = quoted.test(line);
    // A run of "> " lines after some text of the customer's own is quoted history.
    if (isQuoted && ownTextSeen) return i;
    if (!isQuoted && line.trim()) ownTextSeen = true;
    if (line.length > maxMarkerLine) continue;
    // A marker on the first line means nothing was typed above the quote; cutReply then keeps the whole text.
    if (quoteMarkers.some((re) => re.test(line))) return i;
    if (isAttribution(line, lines.at(i + 1) ?? '')) return i;
    if (i > from && signatureMarkers.some((re) => re.test(line))) return i;
    if (i > 0 && headerBlockStart.test(line)) {
      for (let j = i + 1; j < Math.min(i + 4, lines.length); j++) {
        if (headerBlockNext.test(lines.at(j)!)) return i;
      }
    }
  }
  return -1;
}

/** Where the customer's own text starts: past quoted lines a bottom-posted reply opens with. */
export function ownTextStart(lines: LineSource): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines.at(i)!;
    if (line.trim() && !quoted.test(line)) return i;
  }
  return 0;
}

/** The customer's new words: quoted history and signature removed. Falls back to the whole text if nothing is left. */
export function cutReply(text: string): string {
  const normalised = text.replace(/\r\n?/g, '\n');
  const lines = normalised.split('\n');
  const start = ownTextStart(lines);
  const cut = firstCutLine(lines, start);
  const kept = lines.slice(start, cut >= 0 ? cut : lines.length).map((l) => l.trimEnd());
  const result = kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return result || normalised.trim();
}
