// Whether an error is the kind that passes: the database or the relay away for a while. Work that failed
// that way is left for the recovery sweeper to retry, never quarantined or marked failed for good.

/** Socket and resolver codes of a peer that is away for a while. */
export const networkCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ESOCKET',
  'ECONNECTION',
]);

// SQLSTATE classes: 08 connection, 40 rollback (serialization, deadlock), 53 insufficient resources,
// 57 operator intervention (shutdown, cancel), 58 system error.
const transientSqlState = /^(08|40|53|57|58)[0-9A-Z]{3}$/;

// The relay's own "not now" and its outages (see channels/email/smtp-errors.ts).
const relayPassing = new Set(['relay_temporary', 'relay_outage']);

export function isTransient(err: unknown): boolean {
  // SMTP 4xx: the relay says "try again later".
  const reply = (err as { responseCode?: unknown } | null)?.responseCode;
  if (typeof reply === 'number' && reply >= 400 && reply < 500) return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (
    typeof code === 'string' &&
    (networkCodes.has(code) || relayPassing.has(code) || transientSqlState.test(code))
  )
    return true;
  const message = String((err as { message?: unknown } | null)?.message ?? '');
  return /connection terminated|timeout exceeded when trying to connect|connection ended|client has encountered a connection error/i.test(
    message,
  );
}
