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

export function prepareText(text: string): MatchText {
  const cased = text
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\s+/g, ' ')
    .trim();
  const plain = cased.toLowerCase();
  return { plain, compact: plain.replace(/ /g, ''), cased };
}

// Keywords come from a few hundred rule entries, matched against every message: normalise each once.
const keywordCache = new Map<string, string>();
function normalisedKeyword(keyword: string): string {
  let k = keywordCache.get(keyword);
  if (k === undefined) {
    k = normaliseForMatch(keyword);
    if (keywordCache.size > 50_000) keywordCache.clear();
    keywordCache.set(keyword, k);
  }
  return k;
}

/** Whether a keyword occurs in the text. English keywords match as stems ("fail" finds "failed"). */
export function hasKeyword(text: MatchText, keyword: string): boolean {
  const k = normalisedKeyword(keyword);
  if (!k) return false;
  if (text.plain.includes(k)) return true;
  return cjk.test(k) && text.compact.includes(k.replace(/ /g, ''));
}

/** The first keyword of the list found in the text, as the admin wrote it. */
export function firstKeyword(text: MatchText, keywords: readonly string[]): string | null {
  for (const k of keywords) if (hasKeyword(text, k)) return k;
  return null;
}
