// Which existing case a mail continues: headers first (they cannot be guessed by a stranger), then the
// [Case #N] tag in the subject, which a sender can type and so only counts for the case's own people.

export function caseNumberFromSubject(subject: string): string | null {
  const m = /\[\s*Case\s*#\s*(\d{1,18})\s*\]/i.exec(subject.normalize('NFKC'));
  return m ? m[1]!.replace(/^0+(?=\d)/, '') : null;
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
