// Which existing case a mail continues: headers first (they cannot be guessed by a stranger), then the
// [Case #N] tag in the subject, which a sender can type and so only counts for the case's own people.

// The tags a subject may carry: `[Case #N]`, and the Japanese forms a support profile may choose, such as
// 【受付番号:N】 or [お問い合わせ番号：N] (full-width forms are folded by NFKC first).
const subjectTag =
  /[[【]\s*(?:case\s*#|(?:受付番号|お問い合わせ番号|お問合せ番号|問い合わせ番号|問合せ番号|案件番号)\s*[#:]?)\s*(\d{1,18})\s*[\]】]/i;

export function caseNumberFromSubject(subject: string): string | null {
  const m = subjectTag.exec(subject.normalize('NFKC'));
  return m ? m[1]!.replace(/^0+(?=\d)/, '') : null;
}

/** The tag of a case in a subject, in the profile's format (`{number}` replaced). */
export function formatCaseTag(format: string, caseNumber: string): string {
  return format.replaceAll('{number}', caseNumber);
}

/** Whether a tag format is one replies can be threaded back by: its formatted tag reads as the number. */
export function isReadableTagFormat(format: string): boolean {
  return format.includes('{number}') && caseNumberFromSubject(formatCaseTag(format, '4711')) === '4711';
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
