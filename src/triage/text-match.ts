// Matching that copes with Japanese (no word boundaries, full-width and half-width forms) and English case:
// both sides are NFKC-normalised and lower-cased, quotes unified, runs of whitespace collapsed.

const cjk = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]/;

export function normaliseForMatch(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Text prepared once per message; `compact` drops spaces so "サインイン できません" matches "サインインできません". */
export interface MatchText {
  plain: string;
  compact: string;
  /** Normalised like `plain` but with its capitals, for names that are everyday words in lower case. */
  cased: string;
}

/** Mail addresses ("billing@", "invoices@contoso.com") name mailboxes, not what the customer asks. */
function withoutAddresses(text: string): string {
  if (!text.includes('@')) return text;
  return text
    .split(/(\s+)/)
    .map((t) => (t.length <= 254 && t.includes('@') && /^[\x21-\x7e]+$/.test(t) ? ' ' : t))
    .join('');
}

export function prepareText(text: string): MatchText {
  const cased = withoutAddresses(text.normalize('NFKC'))
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\s+/g, ' ')
    .trim();
  const plain = cased.toLowerCase();
  return { plain, compact: plain.replace(/ /g, ''), cased };
}

/** Two prepared texts as one, as prepareText would make of them joined by a line break. */
export function joinText(a: MatchText, b: MatchText): MatchText {
  if (!a.plain) return b;
  if (!b.plain) return a;
  return { plain: `${a.plain} ${b.plain}`, compact: a.compact + b.compact, cased: `${a.cased} ${b.cased}` };
}

// Keywords come from a few hundred rule entries, matched against every message: each list is normalised
// once (per list object) into what to look for in the plain text and, for Japanese, in the compact text.
interface Needle {
  plain: string;
  /** Set for a keyword with Japanese in it: the keyword without spaces, for the compact text. */
  compact: string | null;
}

function needleOf(keyword: string): Needle {
  const plain = normaliseForMatch(keyword);
  return { plain, compact: cjk.test(plain) ? plain.replace(/ /g, '') : null };
}

/** A list's keywords, and one pattern of them all per text form to rule the list out in one pass. */
interface Needles {
  needles: Needle[];
  plain: RegExp | null;
  compact: RegExp | null;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// An alternation of escaped literals: no nested repetition, so a test is linear in the text for a given list.
const anyOf = (words: string[]) => (words.length ? new RegExp(words.map(escapeRegExp).join('|')) : null);

const needleLists = new WeakMap<readonly string[], Needles>();
function needlesOf(keywords: readonly string[]): Needles {
  let n = needleLists.get(keywords);
  if (!n) {
    const needles = keywords.map(needleOf).filter((x) => x.plain);
    n = {
      needles: keywords.map(needleOf),
      plain: anyOf(needles.filter((x) => x.compact === null).map((x) => x.plain)),
      compact: anyOf(needles.filter((x) => x.compact !== null).map((x) => x.compact!)),
    };
    needleLists.set(keywords, n);
  }
  return n;
}

function found(text: MatchText, n: Needle): boolean {
  if (!n.plain) return false;
  // A Japanese keyword is looked for in the compact text only: taking spaces out never breaks a run of it.
  return n.compact !== null ? text.compact.includes(n.compact) : text.plain.includes(n.plain);
}

/** Whether every keyword of the list occurs in the text. */
export function hasAllKeywords(text: MatchText, keywords: readonly string[]): boolean {
  return needlesOf(keywords).needles.every((n) => found(text, n));
}

/** The first keyword of the list found in the text, as the admin wrote it. */
export function firstKeyword(text: MatchText, keywords: readonly string[]): string | null {
  const { needles, plain, compact } = needlesOf(keywords);
  if (!plain?.test(text.plain) && !compact?.test(text.compact)) return null;
  for (let i = 0; i < needles.length; i++) if (found(text, needles[i]!)) return keywords[i]!;
  return null;
}
