import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireChatSessions } from '../../src/channels/chat/chat-store.js';
import { connectVisitor } from '../support/chat-client.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// What a chat gateway costs and whom its limits see: an idle visitor costs no database row, unused sessions
// expire, and behind a trusted proxy each client has limits of its own.

async function count(p: ProductUnderTest, table: 'contacts' | 'chat_sessions'): Promise<number> {
  const r = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(
    p.runtime.db,
  );
  return Number(r.rows[0]!.n);
}

/** Connects, and answers 'ok' or the refusal's code. */
async function tryConnect(p: ProductUnderTest, forwardedFor?: string): Promise<string> {
  try {
    const v = await connectVisitor(
      p.url,
      {},
      forwardedFor ? { extraHeaders: { 'x-forwarded-for': forwardedFor } } : {},
    );
    v.close();
    return 'ok';
  } catch (err) {
    return String((err as { data?: { code?: string } }).data?.code ?? (err as Error).message);
  }
}

describe('chat gateway operations: rows, expiry, proxies', () => {
  let p: ProductUnderTest;

  beforeAll(async () => {
    p = await startProduct({
      SECRET_KEY: 'session-signing-key-for-tests-0123456789',
      TRUST_PROXY: '1',
      CHAT_CONNECTIONS_PER_MINUTE_PER_IP: '3',
      CHAT_SESSION_IDLE_DAYS: '2',
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('an anonymous visitor costs no row until the first message, and a reload before it keeps the session', async () => {
    const contacts = await count(p, 'contacts');
    const sessions = await count(p, 'chat_sessions');
    const idle = [];
    for (let i = 0; i < 12; i++)
      idle.push(await connectVisitor(p.url, {}, { extraHeaders: { 'x-forwarded-for': `198.51.100.${i}` } }));
    expect(await count(p, 'contacts')).toBe(contacts);
    expect(await count(p, 'chat_sessions')).toBe(sessions);

    // A reload before writing anything: the same session, still no row.
    const first = idle[0]!;
    first.close();
    const back = await connectVisitor(
      p.url,
      { sessionToken: first.session.sessionToken },
      {
        extraHeaders: { 'x-forwarded-for': '198.51.100.0' },
      },
    );
    expect(await count(p, 'chat_sessions')).toBe(sessions);

    const ack = await back.send('ライセンスの追加購入について相談したいです', 'first-message');
    expect(ack.caseNumber).toBeGreaterThan(0);
    expect(await count(p, 'contacts')).toBe(contacts + 1);
    expect(await count(p, 'chat_sessions')).toBe(sessions + 1);
    const again = await back.send('ライセンスの追加購入について相談したいです', 'first-message');
    expect(again).toEqual(ack);

    // The token from before the first message resumes the conversation the message opened.
    back.close();
    const later = await connectVisitor(
      p.url,
      { sessionToken: first.session.sessionToken },
      {
        extraHeaders: { 'x-forwarded-for': '198.51.100.0' },
      },
    );
    expect(later.session.caseNumber).toBe(ack.caseNumber);
    expect(later.session.messages[0]?.text).toBe('ライセンスの追加購入について相談したいです');
    later.close();
    for (const v of idle) v.close();
  });

  it('two tabs of one not-yet-stored session both count as present once they write', async () => {
    const a = await connectVisitor(p.url, {}, { extraHeaders: { 'x-forwarded-for': '198.51.100.50' } });
    const b = await connectVisitor(
      p.url,
      { sessionToken: a.session.sessionToken },
      {
        extraHeaders: { 'x-forwarded-for': '198.51.100.50' },
      },
    );
    const [ackA, ackB] = await Promise.all([a.send('タブ A から', 'tab-a'), b.send('タブ B から', 'tab-b')]);
    expect(ackB.caseNumber).toBe(ackA.caseNumber);
    const connections = async () =>
      (
        await sql<{
          connections: number;
        }>`select s.connections from chat_sessions s join cases c on c.id = s.case_id
          where c.number = ${String(ackA.caseNumber)}`.execute(p.runtime.db)
      ).rows[0]?.connections;
    expect(await connections()).toBe(2);
    // One tab closes: the visitor is still there through the other.
    b.close();
    await p.eventually(async () => (await connections()) === 1, 10_000, 'the closed tab to be counted out');
    a.close();
    await p.eventually(async () => (await connections()) === 0, 10_000, 'both tabs counted out');
  });

  it('an unused session expires: its row is removed and its token opens a fresh, empty session', async () => {
    const v = await connectVisitor(p.url, {}, { extraHeaders: { 'x-forwarded-for': '203.0.113.7' } });
    const ack = await v.send('Teams で会議に参加できません', 'expiring');
    v.close();
    const db = p.runtime.db;
    // The tab's goodbye touches the session too: wait for it before making the session look old.
    await p.eventually(
      async () =>
        (
          await sql<{
            n: number;
          }>`select s.connections as n from chat_sessions s join cases c on c.id = s.case_id
            where c.number = ${String(ack.caseNumber)}`.execute(db)
        ).rows[0]?.n === 0,
      10_000,
      'the closed tab to be counted out',
    );
    const before = await count(p, 'chat_sessions');
    await db
      .updateTable('chat_sessions')
      .set({ last_seen_at: sql`now() - interval '3 days'` })
      .where(
        'case_id',
        'in',
        db.selectFrom('cases').select('id').where('number', '=', String(ack.caseNumber)),
      )
      .execute();
    const removed = await expireChatSessions(db, 2);
    expect(removed).toBe(1);
    expect(await count(p, 'chat_sessions')).toBe(before - 1);
    // The case itself stays: it is the desk's record, not the visitor's session.
    const kase = await p.api<{ number: number }>('GET', `/api/cases/${ack.caseNumber}`);
    expect(kase.status).toBe(200);

    const back = await connectVisitor(
      p.url,
      { sessionToken: v.session.sessionToken },
      {
        extraHeaders: { 'x-forwarded-for': '203.0.113.7' },
      },
    );
    expect(back.session.caseNumber).toBeUndefined();
    expect(back.session.messages).toEqual([]);
    back.close();
  });

  it('behind a trusted proxy, each client address has its own connection limit', async () => {
    for (let i = 0; i < 3; i++) expect(await tryConnect(p, '192.0.2.10')).toBe('ok');
    expect(await tryConnect(p, '192.0.2.10')).toBe('rate_limited');
    // Another client behind the same proxy is not held back by the first one's limit.
    expect(await tryConnect(p, '192.0.2.11')).toBe('ok');
  });
});

describe('chat gateway without TRUST_PROXY', () => {
  let p: ProductUnderTest;

  beforeAll(async () => {
    p = await startProduct({ CHAT_CONNECTIONS_PER_MINUTE_PER_IP: '2' });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('ignores X-Forwarded-For, so a client cannot pick a fresh address for each connection', async () => {
    expect(await tryConnect(p, '192.0.2.20')).toBe('ok');
    expect(await tryConnect(p, '192.0.2.21')).toBe('ok');
    expect(await tryConnect(p, '192.0.2.22')).toBe('rate_limited');
  });
});
