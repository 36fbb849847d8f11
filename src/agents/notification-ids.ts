// The Message-IDs of agent notifications: every notification of a case refers to one root, so the agent's
// client shows them as one thread, and an agent's reply that refers to one is known as an answer to it.

/** The Message-ID every notification of a case refers to, so an agent's client shows them as one thread. */
export function notificationRoot(supportAddress: string, caseNumber: string): string {
  return `<case-${caseNumber}.agents@${supportAddress.slice(supportAddress.lastIndexOf('@') + 1)}>`;
}

/**
 * Whether a Message-ID is one of the mails we send agents (a notification, its thread's root, a notice
 * about undelivered mail) at the support address's domain: a reply that refers to one is an agent's.
 */
export function isNotificationId(messageId: string, supportAddress: string): boolean {
  const m = /^<(?:case-\d+\.)?(?:notify\.[0-9a-f-]{36}|notice\.[0-9a-f-]{36}|agents)@([^<>@\s]+)>$/.exec(
    messageId,
  );
  return (
    m !== null &&
    m[1]!.toLowerCase() === supportAddress.slice(supportAddress.lastIndexOf('@') + 1).toLowerCase()
  );
}
