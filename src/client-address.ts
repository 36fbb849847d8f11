import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

// The client's address as the limits and logs should see it: behind TRUST_PROXY, the address the trusted
// proxies name in X-Forwarded-For; otherwise the socket's own. fastify's req.ip follows the same rule.

export type ClientAddress = (req: IncomingMessage) => string;
export type TrustProxy = (address: string, hop: number) => boolean;

/** Which hops are trusted proxies: the nearest `n`, or the listed addresses and ranges. */
export function trustedProxies(trustProxy: number | string[]): TrustProxy {
  return typeof trustProxy === 'number' ? (_address, hop) => hop < trustProxy : proxyAddr.compile(trustProxy);
}

export function clientAddressOf(trustProxy: number | string[] | false): ClientAddress {
  if (trustProxy === false) return (req) => req.socket?.remoteAddress ?? 'unknown';
  const trust = trustedProxies(trustProxy);
  return (req) => (req.socket ? proxyAddr(req, trust) : '') || 'unknown';
}
