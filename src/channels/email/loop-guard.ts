// RFC 3834 and the habits of real robots: mail we must never answer automatically.

export type LoopReason =
  | 'auto-submitted'
  | 'x-auto-response-suppress'
  | 'precedence'
  | 'list-id'
  | 'empty-return-path'
  | 'mailer-daemon'
  | 'no-reply'
  | 'own-address'
  | 'no-sender'
  /** Already in the mailbox, and old, when the intake first read it. */
  | 'mailbox-backlog';

export interface LoopGuardInput {
  /** Header values by lower-case name; a header that is absent is undefined. */
  header(name: string): string | undefined;
  hasHeader(name: string): boolean;
  from: string | null;
  supportAddress: string;
}

const robotLocalParts =
  /^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|no-?reply-.*|bounces?(\+.*)?|daemon)$/i;

export function autoReplyBlocker(input: LoopGuardInput): LoopReason | null {
  const autoSubmitted = input.header('auto-submitted')?.trim().toLowerCase();
  if (autoSubmitted && !autoSubmitted.startsWith('no')) return 'auto-submitted';
  if (input.hasHeader('x-auto-response-suppress')) {
    const v = input.header('x-auto-response-suppress')?.toLowerCase() ?? '';
    if (/\b(all|autoreply|oof)\b/.test(v)) return 'x-auto-response-suppress';
  }
  const precedence = input.header('precedence')?.trim().toLowerCase();
  if (precedence && ['bulk', 'list', 'junk', 'auto_reply'].includes(precedence)) return 'precedence';
  if (input.hasHeader('list-id')) return 'list-id';
  if (input.hasHeader('return-path')) {
    const rp = input.header('return-path')?.trim() ?? '';
    if (rp === '' || rp === '<>') return 'empty-return-path';
  }
  if (!input.from) return 'no-sender';
  const from = input.from.toLowerCase();
  const local = from.split('@')[0] ?? '';
  if (/^(mailer-daemon|postmaster)$/i.test(local)) return 'mailer-daemon';
  if (robotLocalParts.test(local)) return 'no-reply';
  if (sameMailbox(from, input.supportAddress)) return 'own-address';
  // Newsletters without List-Id still carry an unsubscribe link; people asking for help do not.
  if (input.hasHeader('list-unsubscribe')) return 'list-id';
  return null;
}

/** support+token@example.test is still our own mailbox. */
export function sameMailbox(a: string, b: string): boolean {
  const strip = (s: string) => {
    const [local = '', domain = ''] = s.toLowerCase().split('@');
    return `${local.split('+')[0]}@${domain}`;
  };
  return strip(a) === strip(b);
}
