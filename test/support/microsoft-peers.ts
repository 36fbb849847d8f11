import { createTestDatabase, type TestDatabase } from './database.js';
import { type EntraDouble, startEntraDouble } from './entra-double.js';
import { type GraphMailboxDouble, startGraphMailboxDouble } from './graph-mailbox-double.js';
import { cleanupRedisPrefix, testRedisPrefix } from './redis.js';
import { createTestCa, type TestCa } from './test-ca.js';

// What a product reading a Microsoft 365 mailbox through Graph runs against: a private CA, the Entra token
// service and Graph (with the mailbox) over TLS, its own database and Redis prefix.

export interface MicrosoftPeers {
  ca: TestCa;
  entra: EntraDouble;
  graph: GraphMailboxDouble;
  db: TestDatabase;
  prefix: string;
  /** Stops the doubles and removes the CA, the database and the Redis prefix. */
  stop(): Promise<void>;
}

export async function startMicrosoftPeers(
  address: string,
  opts: { appCertificate?: string; parseSent?: boolean } = {},
): Promise<MicrosoftPeers> {
  const ca = await createTestCa('local Microsoft CA');
  const entra = await startEntraDouble({
    cert: ca.cert,
    key: ca.key,
    user: address,
    appCertificate: opts.appCertificate,
  });
  const graph = startGraphMailboxDouble(entra, address, { parseSent: opts.parseSent });
  const db = await createTestDatabase();
  const prefix = testRedisPrefix();
  return {
    ca,
    entra,
    graph,
    db,
    prefix,
    stop: async () => {
      await entra.stop();
      await ca.remove();
      await db.drop();
      await cleanupRedisPrefix(prefix);
    },
  };
}

/** The environment of a product whose mailbox is `address` through Graph, with the app's secret. */
export function graphProductEnv(p: MicrosoftPeers, address: string): Record<string, string> {
  return {
    DATABASE_URL: p.db.url,
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_PREFIX: p.prefix,
    GRAPH_MAILBOX: address,
    GRAPH_POLL_SECONDS: '1',
    MS_TENANT_ID: p.entra.tenantId,
    MS_CLIENT_ID: p.entra.clientId,
    MS_CLIENT_SECRET: p.entra.clientSecret,
    MS_LOGIN_URL: p.entra.loginUrl,
    GRAPH_URL: p.entra.graphUrl,
    NODE_EXTRA_CA_CERTS: p.ca.caFile,
  };
}
