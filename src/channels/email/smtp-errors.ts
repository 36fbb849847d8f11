// What a relay's refusal means for one send. Trouble with the relay itself (our login, TLS, the connection)
// is an outage: every mail would fail the same way, so sending pauses and the replies wait. Only the relay
// refusing this mail or this recipient is a verdict that fails the send for good.

/** The relay's state as /readyz names it. */
export const relayStates = {
  ok: 'ok',
  authFailed: 'relay_auth_failed',
  tlsFailed: 'relay_tls_failed',
  unreachable: 'relay_unreachable',
  senderRefused: 'relay_sender_refused',
  /** XOAUTH2: no token from Microsoft Entra (secret wrong or expired, consent missing, service away). */
  tokenFailed: 'relay_token_failed',
  /** Graph: the app may not send as the mailbox (403: Mail.Send missing, or an access policy). */
  permissionMissing: 'relay_permission_missing',
  /** Graph: no such mailbox (GRAPH_MAILBOX), or not on Exchange Online. */
  mailboxMissing: 'relay_mailbox_missing',
  /** Graph: still throttling after the sends waited out its Retry-After several times. */
  throttled: 'relay_throttled',
} as const;
export type RelayState = (typeof relayStates)[keyof typeof relayStates];
export type RelayOutageState = Exclude<RelayState, 'ok'>;

/** The relay's own answer, kept for the admin's list of failed sends. */
export interface RelayAnswer {
  responseCode: number | null;
  command: string | null;
  response: string | null;
}

/** The relay is unusable for every mail; the send waits. */
export class RelayOutageError extends Error {
  readonly code = 'relay_outage';
  constructor(
    readonly state: RelayOutageState,
    readonly answer: RelayAnswer,
    message: string,
  ) {
    super(message);
    this.name = 'RelayOutageError';
  }
}

/** The relay refused this mail for good (5xx to RCPT TO or DATA). */
export class SmtpPermanentError extends Error {
  readonly code = 'smtp_rejected';
  constructor(
    readonly answer: RelayAnswer,
    message: string,
  ) {
    super(message);
    this.name = 'SmtpPermanentError';
  }
}

/** The relay said "not now" (4xx, a protocol hiccup): retried with backoff, then left for the sweeper. */
export class RelayTemporaryError extends Error {
  readonly code = 'relay_temporary';
  constructor(
    readonly answer: RelayAnswer,
    message: string,
  ) {
    super(message);
    this.name = 'RelayTemporaryError';
  }
}

export type SmtpVerdict =
  | { kind: 'outage'; state: RelayOutageState }
  | { kind: 'rejected' }
  | { kind: 'temporary' }
  | { kind: 'unknown' };

// Node's and OpenSSL's codes for a certificate that cannot be trusted or a handshake that failed.
const tlsCode =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$|ETLS$|EREQUIRETLS$)/;
const networkCode = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'EPROXY',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
const authCode = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2']);
/** The commands about this mail's recipients and content; trouble before them is the relay's own. */
const recipientCommands = new Set(['RCPT TO', 'DATA']);

interface SmtpErrorShape {
  code?: unknown;
  originalCode?: unknown;
  responseCode?: unknown;
  command?: unknown;
  response?: unknown;
}

export function relayAnswer(err: unknown): RelayAnswer {
  const e = (err ?? {}) as SmtpErrorShape;
  return {
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : null,
    command: typeof e.command === 'string' ? e.command : null,
    response: typeof e.response === 'string' ? e.response.slice(0, 500) : null,
  };
}

/** Sorts a nodemailer error: outage (which), a verdict on this mail, a temporary answer, or unknown. */
export function classifySmtpError(err: unknown): SmtpVerdict {
  const e = (err ?? {}) as SmtpErrorShape;
  const codes = [e.code, e.originalCode].filter((c): c is string => typeof c === 'string');
  const { responseCode: reply, command, response } = relayAnswer(err);
  if (codes.some((c) => tlsCode.test(c)) || reply === 538)
    return { kind: 'outage', state: relayStates.tlsFailed };
  // 530 is "authentication required", or "must issue STARTTLS first" on relays that want TLS for AUTH.
  if (reply === 530)
    return {
      kind: 'outage',
      state: /starttls|\btls\b|encrypt/i.test(response ?? '')
        ? relayStates.tlsFailed
        : relayStates.authFailed,
    };
  if (reply === 534 || reply === 535 || codes.some((c) => authCode.has(c)))
    return { kind: 'outage', state: relayStates.authFailed };
  if (reply !== null && reply >= 500 && reply !== 503) {
    if (command && recipientCommands.has(command)) return { kind: 'rejected' };
    // 552 to MAIL FROM is this message's declared size; any other refusal of our sender holds for all mail.
    if (command === 'MAIL FROM')
      return reply === 552 ? { kind: 'rejected' } : { kind: 'outage', state: relayStates.senderRefused };
  }
  if (reply === 421 || codes.some((c) => networkCode.has(c))) {
    // Dropped while this mail's recipients or content were on their way (a content or size policy): a retry
    // of this send, not a pause of every send; the relay answered the connection, greeting, login and sender.
    if (command && recipientCommands.has(command)) return { kind: 'temporary' };
    return { kind: 'outage', state: relayStates.unreachable };
  }
  if (reply !== null || codes.includes('EPROTOCOL')) return { kind: 'temporary' };
  return { kind: 'unknown' };
}

/** The error a send throws for a nodemailer failure: typed by what it means, the relay's answer kept. */
export function toRelayError(err: unknown): Error {
  const verdict = classifySmtpError(err);
  const answer = relayAnswer(err);
  const message = String((err as Error | null)?.message ?? err).slice(0, 1000);
  switch (verdict.kind) {
    case 'outage':
      return new RelayOutageError(verdict.state, answer, message);
    case 'rejected':
      return new SmtpPermanentError(answer, `relay rejected the mail: ${message}`);
    case 'temporary':
      return new RelayTemporaryError(answer, message);
    default:
      return err instanceof Error ? err : new Error(message);
  }
}
