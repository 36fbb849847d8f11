// Why a mailbox could not be opened, as a short code for /readyz and plain words for the log. The codes never
// carry the server's or driver's own text (host names, user names), which stays in the log only.

import {
  describeEntraFailure,
  type EntraFailureCode,
  entraFailureCodes,
} from '../../microsoft/entra-tokens.js';
import {
  describeGraphFailure,
  type GraphFailureCode,
  graphFailureCodes,
} from '../../microsoft/graph-errors.js';
import { networkCodes as socketCodes } from '../../pipeline/transient.js';

export const imapFailureCodes = [
  'login_refused',
  'tls_failed',
  'certificate_rejected',
  'unreachable',
  'mailbox_missing',
  'session_failed',
  // A Microsoft 365 mailbox (XOAUTH2 or Graph): no token to log in with.
  ...entraFailureCodes,
  // A mailbox read through Graph.
  ...graphFailureCodes.filter((c) => c !== 'unreachable'),
] as const;

export type ImapFailureCode = (typeof imapFailureCodes)[number];
const entraCodes: readonly string[] = entraFailureCodes;
const graphCodes: readonly string[] = graphFailureCodes;

/** Where the attempt failed: reaching and logging in to the server, or opening the folder. */
export type ImapStage = 'connect' | 'open';

/** A mailbox that could not be opened, with the reason classified. */
export class MailboxUnavailableError extends Error {
  readonly code: ImapFailureCode;
  constructor(code: ImapFailureCode, options: { cause: unknown }) {
    super(`mailbox unavailable: ${code}`, options);
    this.name = 'MailboxUnavailableError';
    this.code = code;
  }
}

// Node's (OpenSSL's) verification codes: the certificate chain, its dates or its names did not check out.
const certificateCode =
  /^(CERT_|UNABLE_TO_(GET_ISSUER|VERIFY_LEAF|DECRYPT_CERT|GET_CRL)|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_CERT|ERR_TLS_CERT_ALTNAME|INVALID_CA|PATH_LENGTH|INVALID_PURPOSE|HOSTNAME_MISMATCH)/;

const tlsCodes = new Set(['ClosedAfterConnectTLS', 'UPGRADE_TIMEOUT', 'STARTTLS_INJECTION', 'EPROTO']);

// imapflow's own codes for a connection that failed or ended, besides the socket's.
const networkCodes = new Set([
  ...socketCodes,
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
]);

interface ImapErrorShape {
  code?: unknown;
  authenticationFailed?: unknown;
  tlsFailed?: unknown;
  serverResponseCode?: unknown;
  responseStatus?: unknown;
}

/** Classifies what imapflow (or the socket under it) threw while connecting or opening the folder. */
export function classifyImapFailure(err: unknown, stage: ImapStage): ImapFailureCode {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ImapErrorShape;
  const code = typeof e.code === 'string' ? e.code : '';
  if (e.authenticationFailed === true || e.serverResponseCode === 'AUTHENTICATIONFAILED')
    return 'login_refused';
  if (certificateCode.test(code)) return 'certificate_rejected';
  if (e.tlsFailed === true || tlsCodes.has(code) || /^ERR_(SSL|TLS)_/.test(code)) return 'tls_failed';
  if (networkCodes.has(code)) return 'unreachable';
  // The server answered the SELECT with NO: the folder is not there (or not this user's to open).
  if (stage === 'open' && (e.serverResponseCode === 'NONEXISTENT' || e.responseStatus === 'NO'))
    return 'mailbox_missing';
  return 'session_failed';
}

/** The cause in plain words, for the one error line logged when a mailbox's state changes. */
export function describeImapFailure(code: ImapFailureCode, folder: string): string {
  if (entraCodes.includes(code))
    return `mailbox login impossible: ${describeEntraFailure(code as EntraFailureCode)}`;
  if (graphCodes.includes(code) && code !== 'unreachable')
    return describeGraphFailure(code as GraphFailureCode);
  switch (code) {
    case 'login_refused':
      return 'mailbox login refused: the mail server rejected the user name or password (for a Microsoft 365 mailbox, the token: the app may lack access to it)';
    case 'tls_failed':
      return 'mailbox connection could not be secured (the server offers no STARTTLS, or the TLS handshake failed); the password was not sent';
    case 'certificate_rejected':
      return "mailbox server's certificate is not trusted (unknown CA, wrong host name or expired); the password was not sent (a private CA is trusted through NODE_EXTRA_CA_CERTS)";
    case 'unreachable':
      return 'mailbox server cannot be reached (connection refused, timed out or name not found)';
    case 'mailbox_missing':
      return `mailbox folder "${folder}" does not exist on the mail server (or this user may not open it)`;
    default:
      return 'mailbox could not be opened: the mail server answered in a way the intake did not expect';
  }
}
