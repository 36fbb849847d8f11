import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/eventually.js';
import { mail } from '../support/factories.js';
import { createTestMailbox, type TestMailbox } from '../support/mailbox.js';
import { apiToken } from '../support/product.js';
import { type ProductProcess, spawnProduct } from '../support/product-process.js';
import { cleanupRedisPrefix, testRedisPrefix } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

// Several mailboxes: the environment's (IMAP_URL/SMTP_URL) and one an admin adds through /api/mailboxes,
// with its own IMAP folder and its own relay. The product runs as its own process.

interface MailboxView {
  id: string;
  name: string;
  address: string;
  kind: string;
  imapUrl: string | null;
  smtpUrl: string | null;
  hasSecrets: boolean;
  source: string;
  health: { intake: string; send: string };
}

const relayPassword = 'relay-secret-7f3a';

describe('several mailboxes', () => {
  let db: TestDatabase;
  let prefix: string;
  let product: ProductProcess;
  let boxA: TestMailbox;
  let boxB: TestMailbox;
  let sinkA: SmtpSink;
  let sinkB: SmtpSink;
  let desk: MailboxView;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${product.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const readyz = async () =>
    ((await (await fetch(`${product.url}/readyz`)).json()) as { checks: Record<string, string> }).checks;
  const query = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  const waitUntil = <T>(what: string, fn: () => Promise<T | false> | T | false, timeoutMs = 30_000) =>
    eventually(fn, { timeoutMs, intervalMs: 100, what: () => `${what}\n${product?.output().slice(-3000)}` });
  const ackIn = (sink: SmtpSink, id: string) =>
    waitUntil(
      `the answer to ${id}`,
      () => sink.messages.find((m) => m.parsed.inReplyTo === `<${id}>`) ?? false,
    );
  const customerMail = (id: string, body = 'Teams meetings will not start for anyone in our office.') =>
    mail({ from: 'jane@fabrikam.example', subject: `Mailboxes ${id}`, body, messageId: `<${id}>` });

  beforeAll(async () => {
    const dovecot = inject('dovecot');
    boxA = await createTestMailbox(dovecot);
    boxB = await createTestMailbox(dovecot);
    sinkA = await startSmtpSink();
    sinkB = await startSmtpSink({ auth: { user: 'relay', password: relayPassword } });
    db = await createTestDatabase();
    prefix = testRedisPrefix();
    product = await spawnProduct({
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: prefix,
      IMAP_URL: boxA.imapUrl,
      SMTP_URL: sinkA.url,
      SUPPORT_ADDRESS: 'support@example.test',
      ADMIN_API_TOKEN: apiToken,
      LOG_LEVEL: 'info',
      IMAP_POLL_SECONDS: '2',
    });
  }, 60_000);

  afterAll(async () => {
    await product?.kill('SIGTERM');
    await sinkA?.stop();
    await sinkB?.stop();
    await boxA?.remove();
    await boxB?.remove();
    await db?.drop();
    if (prefix) await cleanupRedisPrefix(prefix);
  });

  it('adds a mailbox whose passwords go in and never come out, sealed at rest', async () => {
    const created = await api('POST', '/api/mailboxes', {
      name: 'tokyo-desk',
      address: 'tokyo@example.test',
      kind: 'imap',
      imapUrl: boxB.imapUrl,
      smtpUrl: `smtp://relay:${relayPassword}@127.0.0.1:${sinkB.port}?tls=off`,
      locale: 'ja',
    });
    expect(created.status).toBe(201);
    desk = created.body as MailboxView;
    const imapPassword = decodeURIComponent(new URL(boxB.imapUrl).password);
    for (const secret of [imapPassword, relayPassword]) {
      expect(JSON.stringify(created.body)).not.toContain(secret);
      expect(JSON.stringify((await api('GET', '/api/mailboxes')).body)).not.toContain(secret);
      const rows = await query<{ row: string }>('select row_to_json(m)::text as row from mailboxes m');
      expect(rows[0]!.row).not.toContain(secret);
      const audit = await query<{ a: string }>(
        `select coalesce(after::text, '') a from audit_log where entity = 'mailbox'`,
      );
      expect(audit.map((r) => r.a).join()).not.toContain(secret);
    }
    expect(desk).toMatchObject({ hasSecrets: true, kind: 'imap', source: 'api' });
    expect(new URL(desk.smtpUrl!).username).toBe('relay');
    const list = (await api('GET', '/api/mailboxes')).body as { items: MailboxView[] };
    expect(list.items.map((m) => m.source)).toEqual(['environment', 'api']);
  });

  it('reads the new mailbox with its own lock and checkpoint, and answers through its own relay, from its address, in its locale', async () => {
    await boxB.append(
      customerMail('desk-1@fabrikam.example', 'Our Teams meetings fail for every user since this morning.'),
    );
    const ack = await ackIn(sinkB, 'desk-1@fabrikam.example');
    expect(ack.user).toBe('relay');
    expect(ack.parsed.from?.value[0]?.address).toBe('tokyo@example.test');
    // The sender is unknown and wrote English; the desk's locale (ja) decides the answer's language.
    expect(ack.parsed.text).toMatch(/[\u3040-\u30ff]/);
    expect(sinkA.messages.find((m) => m.parsed.inReplyTo === '<desk-1@fabrikam.example>')).toBeUndefined();
    const checks = await waitUntil('the desk named ok', async () => {
      const c = await readyz();
      return c['mailbox:tokyo-desk'] === 'ok' && c['mailbox_send:tokyo-desk'] === 'ok' ? c : false;
    });
    expect(checks.imap).toBe('ok');
    const cp = await query<{ n: string }>(`select count(*) n from mailbox_state where mailbox_key = $1`, [
      `mailbox:${desk.id}`,
    ]);
    expect(Number(cp[0]!.n)).toBe(1);
  });

  it("sends an agent's answer through the mailbox the customer wrote to", async () => {
    const [row] = await query<{ number: string }>(
      `select number::text from cases where subject = 'Mailboxes desk-1@fabrikam.example'`,
    );
    const sent = sinkB.messages.length;
    const res = await api('POST', `/api/cases/${row!.number}/replies`, {
      text: 'Teams の管理センターを確認します。',
    });
    expect(res.status).toBe(201);
    const answer = await waitUntil(
      'the answer at the desk relay',
      () =>
        sinkB.messages
          .slice(sent)
          .find((m) => m.parsed.text?.includes('Teams の管理センターを確認します。')) ?? false,
    );
    expect(answer.parsed.from?.value[0]?.address).toBe('tokyo@example.test');
  });

  it('takes a mail sent to both mailboxes (Cc to both) as one case with one answer', async () => {
    const raw = customerMail('both-1@fabrikam.example');
    await boxA.append(raw);
    await boxB.append(raw);
    await waitUntil('both copies taken', async () => {
      const [r] = await query<{ n: string }>(
        `select count(*) n from raw_mails where state in ('ingested', 'duplicate')
        and bytes = $1`,
        [Buffer.from(raw)],
      );
      return Number(r!.n) === 2;
    });
    const cases = await query<{ n: string }>(
      `select count(*) n from cases where subject = 'Mailboxes both-1@fabrikam.example'`,
    );
    expect(Number(cases[0]!.n)).toBe(1);
    const answersTo = () =>
      [...sinkA.messages, ...sinkB.messages].filter(
        (m) => m.parsed.inReplyTo === '<both-1@fabrikam.example>',
      );
    await waitUntil('the answer', () => answersTo().length > 0);
    expect(answersTo()).toHaveLength(1);
  });

  it('names a wrong password on /readyz and recovers when the admin fixes it', async () => {
    const wrong = new URL(boxB.imapUrl);
    wrong.password = 'not-the-password';
    expect((await api('PATCH', `/api/mailboxes/${desk.id}`, { imapUrl: wrong.toString() })).status).toBe(200);
    await waitUntil(
      'login_refused named',
      async () => (await readyz())['mailbox:tokyo-desk'] === 'login_refused',
    );
    // The imap one of the environment is not touched.
    expect((await readyz()).imap).toBe('ok');
    expect((await api('PATCH', `/api/mailboxes/${desk.id}`, { imapUrl: boxB.imapUrl })).status).toBe(200);
    await boxB.append(customerMail('desk-2@fabrikam.example'));
    await ackIn(sinkB, 'desk-2@fabrikam.example');
    expect((await readyz())['mailbox:tokyo-desk']).toBe('ok');
  });

  it("answers through the environment's relay, from its address, while the mailbox is disabled", async () => {
    expect((await api('PATCH', `/api/mailboxes/${desk.id}`, { enabled: false })).status).toBe(200);
    await waitUntil(
      'the desk gone from /readyz',
      async () => (await readyz())['mailbox:tokyo-desk'] === undefined,
    );
    const [row] = await query<{ number: string }>(
      `select number::text from cases where subject = 'Mailboxes desk-1@fabrikam.example'`,
    );
    const sent = sinkA.messages.length;
    const res = await api('POST', `/api/cases/${row!.number}/replies`, {
      text: '窓口を一時的に移しました。',
    });
    expect(res.status).toBe(201);
    const answer = await waitUntil(
      'the answer at the environment relay',
      () =>
        sinkA.messages.slice(sent).find((m) => m.parsed.text?.includes('窓口を一時的に移しました。')) ??
        false,
    );
    expect(answer.parsed.from?.value[0]?.address).toBe('support@example.test');
    expect((await api('PATCH', `/api/mailboxes/${desk.id}`, { enabled: true })).status).toBe(200);
  });

  it('refuses what cannot work: no relay, a Graph mailbox without the app, a mailbox read already', async () => {
    const post = (body: Record<string, unknown>) =>
      api('POST', '/api/mailboxes', { name: 'x', address: 'x@example.test', kind: 'imap', ...body });
    expect((await post({})).status).toBe(400);
    expect((await post({ imapUrl: boxB.imapUrl.replace('t-', 'u-') })).body.message).toMatch(/^smtpUrl:/);
    const graph = await api('POST', '/api/mailboxes', {
      name: 'g',
      address: 'g@example.test',
      kind: 'graph',
    });
    expect(graph.status).toBe(422);
    expect(graph.body.error).toBe('microsoft_app_missing');
    expect((await post({ imapUrl: 'http://x', smtpUrl: sinkB.url })).status).toBe(400);
    const twice = await api('POST', '/api/mailboxes', {
      name: 'tokyo-desk',
      address: 'y@example.test',
      kind: 'imap',
      imapUrl: boxA.imapUrl.replace(boxA.path, 'other'),
      smtpUrl: sinkB.url,
    });
    expect(twice.status).toBe(409);
    // The folder IMAP_URL reads already, or the desk's folder under another name: two readers of one mailbox.
    expect((await post({ imapUrl: boxA.imapUrl, smtpUrl: sinkB.url })).status).toBe(409);
    expect((await post({ imapUrl: boxB.imapUrl, smtpUrl: sinkB.url })).status).toBe(409);
  });

  it('stops reading a mailbox once it is deleted, and its states leave /readyz even while it failed', async () => {
    const wrong = new URL(boxB.imapUrl);
    wrong.password = 'not-the-password';
    expect((await api('PATCH', `/api/mailboxes/${desk.id}`, { imapUrl: wrong.toString() })).status).toBe(200);
    await waitUntil(
      'login_refused named',
      async () => (await readyz())['mailbox:tokyo-desk'] === 'login_refused',
    );
    expect((await api('DELETE', `/api/mailboxes/${desk.id}`)).status).toBe(204);
    expect((await api('GET', `/api/mailboxes/${desk.id}`)).status).toBe(404);
    await waitUntil('the desk gone from /readyz', async () => {
      const c = await readyz();
      return c['mailbox:tokyo-desk'] === undefined && c['mailbox_send:tokyo-desk'] === undefined;
    });
  });
});
