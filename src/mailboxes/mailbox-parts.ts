// The parts /readyz names for a mailbox admins added: its intake and its sending, by the mailbox's name.
export function mailboxParts(name: string): { intake: string; send: string } {
  return { intake: `mailbox:${name}`, send: `mailbox_send:${name}` };
}
