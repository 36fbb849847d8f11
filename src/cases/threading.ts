// Which existing case a mail continues: headers first (they cannot be guessed by a stranger), then the
// [Case #N] tag in the subject, which a sender can type and so only counts for the case's own people.

// The tags a subject may carry: `[Case #N]` always, and the support profile's own format when it has another
// (【受付番号:N】, say). Only those: a customer quoting some other desk's 【受付番号:1046】 must not join case 1046.
const defaultTag = /\[\s*Case\s*#\s*(\d{1,18})\s*\]/i;
export const defaultTagFormat = '[Case #{number}]';

const formatPatterns = new Map<string, RegExp | null>();

/** The profile's format as a pattern: its words as written (NFKC, any spacing), the number in their place. */
function formatPattern(format: string): RegExp | null {
  let pattern = formatPatterns.get(format);
  if (pattern === undefined) {
    const [before = '', after = ''] = format.normalize('NFKC').split('{number}');
    const literal = (text: string) =>
      text
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('\\s*');
    pattern = format.includes('{number}')
      ? new RegExp(`${literal(before)}\\s*(\\d{1,18})\\s*${literal(after)}`, 'i')
      : null;
    if (formatPatterns.size > 100) formatPatterns.clear();
    formatPatterns.set(format, pattern);
  }
  return pattern;
}

export function caseNumberFromSubject(subject: string, format: string = defaultTagFormat): string | null {
  const flat = subject.normalize('NFKC');
  const m = defaultTag.exec(flat) ?? (format === defaultTagFormat ? null : formatPattern(format)?.exec(flat));
  return m ? m[1]!.replace(/^0+(?=\d)/, '') : null;
}

/** The tag of a case in a subject, in the profile's format (`{number}` replaced). */
export function formatCaseTag(format: string, caseNumber: string): string {
  return format.replaceAll('{number}', caseNumber);
}

/**
 * Whether a tag format can be told from other numbers in a subject and read back: `{number}` once, no other
 * digits, and at least three other characters around it (`[Case #{number}]`, `【受付番号:{number}】`).
 */
export function isReadableTagFormat(format: string): boolean {
  const words = format.replace('{number}', '');
  if (format.split('{number}').length !== 2 || /\d|[{}]/.test(words)) return false;
  if (words.replace(/\s/g, '').length < 3) return false;
  return caseNumberFromSubject(`Re: ${formatCaseTag(format, '4711')} x`, format) === '4711';
}

/** Message-IDs to look up, nearest first: In-Reply-To, then References from the newest. */
export function threadCandidates(inReplyTo: string | null, references: string[]): string[] {
  const out: string[] = [];
  for (const id of [inReplyTo, ...[...references].reverse()]) if (id && !out.includes(id)) out.push(id);
  return out.slice(0, 50);
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** A subject tag joins a case only when the sender is its contact or from the same customer. */
export function subjectTagMayJoin(
  sender: { contactId: string; customerId: string | null },
  target: { contactId: string; customerId: string | null },
): boolean {
  if (sender.contactId === target.contactId) return true;
  return sender.customerId !== null && sender.customerId === target.customerId;
}

/** The key a different mail reusing an earlier Message-ID is stored under: the id and a digest of its words. */
export function reusedMessageIdKey(messageId: string, digest: string): string {
  return `${messageId}#${digest.slice(0, 16)}`;
}

/** The Message-ID as it travels in mail headers, without the key suffix added for a reused one. */
export function wireMessageId(stored: string): string {
  return stored.replace(/#[0-9a-f]{16}$/, '');
}
