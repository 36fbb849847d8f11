import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectVisitor, type Visitor } from '../support/chat-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/eventually.js';
import { pipelineBacklog } from '../support/pipeline-drain.js';
import { type ProductProcess, spawnProduct } from '../support/product-process.js';
import { cleanupRedisPrefix, testRedisPrefix } from '../support/redis.js';

// The gateway killed with SIGKILL while visitors write: every acknowledged message is kept, a message resent
// with its clientId after the restart (as the widget does) is stored once, and every one is triaged.

describe('chat crash recovery: SIGKILL mid-conversation loses and doubles nothing', () => {
  let db: TestDatabase;
  let prefix: string;
  let product: ProductProcess | null = null;
  let env: Record<string, string>;

  const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    prefix = testRedisPrefix();
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: prefix,
      SECRET_KEY: 'session-signing-key-for-tests-0123456789',
      LOG_LEVEL: 'warn',
      CHAT_MESSAGES_PER_MINUTE_PER_IP: '100000',
      CHAT_CONNECTIONS_PER_MINUTE_PER_IP: '100000',
      CHAT_MESSAGES_PER_10S_PER_CONNECTION: '1000',
    };
  });

  afterAll(async () => {
    await product?.kill('SIGTERM');
    await db?.drop();
    if (prefix) await cleanupRedisPrefix(prefix);
  });

  it('keeps every acknowledged message once and triages all of them after a restart', async () => {
    product = await spawnProduct(env);
    const visitors = 12;
    const perVisitor = 15;
    const acked = new Map<string, string>(); // clientId -> stored id
    const tokens: string[] = [];
    const sockets: Visitor[] = [];
    for (let v = 0; v < visitors; v++) {
      const visitor = await connectVisitor(product.url, {});
      tokens.push(visitor.session.sessionToken);
      sockets.push(visitor);
    }
    // Everyone writes; the process is killed while messages are in flight: once as many are acknowledged as
    // there are visitors, most are still to come.
    let midStream: () => void = () => {};
    const someAcked = new Promise<void>((resolve) => {
      midStream = resolve;
    });
    const writing = sockets.map(async (visitor, v) => {
      for (let m = 0; m < perVisitor; m++) {
        const clientId = `v${v}m${m}`;
        try {
          const ack = await visitor.send(`visitor ${v} message ${m}`, clientId);
          if (ack.id) acked.set(clientId, ack.id);
          if (acked.size >= visitors) midStream();
        } catch {
          return; // connection gone: the rest go after the restart
        }
      }
    });
    await Promise.race([someAcked, Promise.all(writing)]);
    const killedAfter = acked.size;
    await product.kill('SIGKILL');
    await Promise.all(writing);
    for (const s of sockets) s.close();
    expect(killedAfter).toBeLessThan(visitors * perVisitor);

    // Restart; every visitor resumes with its token and sends again everything not acknowledged.
    product = await spawnProduct(env);
    for (let v = 0; v < visitors; v++) {
      const visitor = await connectVisitor(product.url, { sessionToken: tokens[v] });
      for (let m = 0; m < perVisitor; m++) {
        const clientId = `v${v}m${m}`;
        if (acked.has(clientId)) continue;
        const ack = await visitor.send(`visitor ${v} message ${m}`, clientId);
        expect(ack.id).toBeTruthy();
        acked.set(clientId, ack.id!);
      }
      visitor.close();
    }

    const rows = await query<{ client_id: string; n: string; ids: string[] }>(
      `select client_id, count(*) as n, array_agg(id::text) as ids from messages
       where direction = 'in' and client_id is not null group by client_id`,
    );
    expect(rows).toHaveLength(visitors * perVisitor);
    for (const r of rows) {
      expect(Number(r.n), r.client_id).toBe(1);
      expect(r.ids[0], r.client_id).toBe(acked.get(r.client_id));
    }
    // One case per visitor, and every message triaged (the sweeper re-queues what the kill dropped).
    expect((await query<{ n: string }>(`select count(*) as n from cases`))[0]!.n).toBe(String(visitors));
    let untriaged: number | undefined;
    await eventually(
      async () => {
        untriaged = (await pipelineBacklog(db.url)).untriaged;
        return untriaged === 0;
      },
      { timeoutMs: 45_000, intervalMs: 250, what: () => `${untriaged} untriaged messages to be triaged` },
    );
    // One acknowledgement per case, not one per attempt.
    const acks = await query<{ case_id: string; n: string }>(
      `select case_id, count(*) as n from outbox where purpose = 'auto_reply' group by case_id`,
    );
    expect(acks).toHaveLength(visitors);
    for (const a of acks) expect(a.n).toBe('1');
  });
});
