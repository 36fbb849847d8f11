import type { Metrics } from '../metrics.js';
import { type EntraTokens, graphScope } from './entra-tokens.js';
import { GraphClient } from './graph-client.js';

/** A Graph client for one mailbox (its own four requests and throttling pause), counted in /metrics. */
export function mailGraphClient(graphUrl: string, entra: EntraTokens, metrics: Metrics): GraphClient {
  const client = new GraphClient({
    baseUrl: graphUrl,
    tokens: entra.source(graphScope(graphUrl)),
    onRequest: () => metrics.graphRequests.inc(),
  });
  client.onThrottled(() => metrics.graphThrottled.inc());
  return client;
}
