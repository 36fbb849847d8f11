import { getDomain } from 'tldts';
import {
  type AuthenticationResults,
  type AuthMethodResult,
  parseAuthenticationResults,
} from './authentication-results.js';

// Whether the receiving mail server vouches for the From address. Only the partner's own server (its
// authserv-id, AUTHSERV_ID) is believed: anyone can write an Authentication-Results header into a mail.

export type SenderVerdict =
  /** No trusted header to go by (AUTHSERV_ID unset, or no header of it): the sender counts as proven. */
  | { status: 'unchecked' }
  | { status: 'proven'; authservId: string }
  | { status: 'unproven'; authservId: string; reason: string };

/**
 * The organisational domain of a host name: its registrable domain by the Public Suffix List (private
 * suffixes included, as DMARC does), or the name itself when it has none.
 */
export function organisationalDomain(domain: string): string {
  const d = domain.trim().toLowerCase().replace(/\.$/, '');
  return getDomain(d, { allowPrivateDomains: true }) ?? d;
}

/** Relaxed alignment (RFC 7489 3.1.1): both names share an organisational domain. */
export function aligned(domain: string, fromDomain: string): boolean {
  return domain !== '' && organisationalDomain(domain) === organisationalDomain(fromDomain);
}

/** The signing domain of a DKIM result: `header.d`, else the domain of `header.i`. */
function dkimDomain(r: AuthMethodResult): string {
  const d = r.props['header.d'] ?? r.props['header.i'] ?? '';
  return d.slice(d.lastIndexOf('@') + 1).toLowerCase();
}

function describe(r: AuthMethodResult, prop: string): string {
  const value = r.props[prop];
  return `${r.method}=${r.result}${value ? ` (${prop}=${value})` : ''}`;
}

/**
 * Judges the sender by the top-most Authentication-Results header that carries `authservId`; `headers` are
 * the raw values, top first. `dmarc=fail`, or `spf=fail` without a DKIM pass aligned with the From domain,
 * leaves the sender unproven.
 */
export function judgeSender(
  headers: readonly string[],
  authservId: string | undefined,
  fromAddress: string,
): SenderVerdict {
  if (!authservId) return { status: 'unchecked' };
  const id = authservId.toLowerCase();
  let trusted: AuthenticationResults | undefined;
  for (const value of headers) {
    const parsed = parseAuthenticationResults(value);
    if (parsed.authservId !== id) continue;
    trusted = parsed;
    break;
  }
  if (!trusted) return { status: 'unchecked' };
  const fromDomain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1).toLowerCase();
  const by = `as reported by ${id}`;

  const dmarcFail = trusted.results.find((r) => r.method === 'dmarc' && r.result === 'fail');
  if (dmarcFail) {
    return { status: 'unproven', authservId: id, reason: `${describe(dmarcFail, 'header.from')} ${by}` };
  }
  const spfFail = trusted.results.find((r) => r.method === 'spf' && r.result === 'fail');
  if (spfFail) {
    const dkimAligned = trusted.results.some(
      (r) => r.method === 'dkim' && r.result === 'pass' && aligned(dkimDomain(r), fromDomain),
    );
    if (!dkimAligned) {
      return {
        status: 'unproven',
        authservId: id,
        reason: `${describe(spfFail, 'smtp.mailfrom')} and no dkim=pass aligned with ${fromDomain} ${by}`,
      };
    }
  }
  return { status: 'proven', authservId: id };
}

/**
 * Whether the receiving server vouches for the From domain outright: `dmarc=pass`, or a `dkim=pass` or
 * `spf=pass` aligned with it. Stricter than not failing: what an agent's mail needs before it reaches a
 * customer. Always false without `authservId`.
 */
export function senderPassed(
  headers: readonly string[],
  authservId: string | undefined,
  fromAddress: string,
) {
  if (!authservId) return false;
  const id = authservId.toLowerCase();
  const trusted = headers.map(parseAuthenticationResults).find((p) => p.authservId === id);
  if (!trusted) return false;
  const fromDomain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1).toLowerCase();
  const mailFrom = (r: AuthMethodResult) => {
    const v = r.props['smtp.mailfrom'] ?? '';
    return v.slice(v.lastIndexOf('@') + 1).toLowerCase();
  };
  return trusted.results.some(
    (r) =>
      r.result === 'pass' &&
      (r.method === 'dmarc' ||
        (r.method === 'dkim' && aligned(dkimDomain(r), fromDomain)) ||
        (r.method === 'spf' && aligned(mailFrom(r), fromDomain))),
  );
}
