import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAppCertificate } from '../support/app-certificate.js';
import type { TestDatabase } from '../support/database.js';
import type { EntraDouble } from '../support/entra-double.js';
import { eventually } from '../support/eventually.js';
import { mail } from '../support/factories.js';
import type { GraphMailboxDouble, SentMail } from '../support/graph-mailbox-double.js';
import { graphProductEnv, type MicrosoftPeers, startMicrosoftPeers } from '../support/microsoft-peers.js';
import { apiToken } from '../support/product.js';
import { type ProductProcess, spawnProduct } from '../support/product-process.js';
import { testRedisPrefix } from '../support/redis.js';

// A Microsoft 365 mailbox read and answered through Microsoft Graph (GRAPH_MAILBOX): the product runs as its
// own process against a local Entra token service and a Graph double that follows the documented shapes,
// trusting their CA through NODE_EXTRA_CA_CERTS as it would a private one.

const address = 'support@example.test';

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const customerMail = (id: string, extra: { body?: string; headers?: Record<string, string> } = {}) =>
  mail({
    from: 'taro@contoso.co.jp',
    subject: `Graph ${id}`,
    body: extra.body ?? 'Teams の会議に参加できません。',
    messageId: `<${id}@contoso.co.jp>`,
    headers: extra.headers,
  });

function productEnv(peers: MicrosoftPeers): Record<string, string> {
  return {
    ...graphProductEnv(peers, address),
    ADMIN_API_TOKEN: apiToken,
    LOG_LEVEL: 'info',
    MAIL_MAX_BYTES: '300000',
    AUTO_REPLY_LIMIT_PER_HOUR: '1000',
  };
}

describe('Microsoft 365 mailbox through Microsoft Graph', () => {
  let peers: MicrosoftPeers;
  let entra: EntraDouble;
  let graph: GraphMailboxDouble;
  let db: TestDatabase;
  let product: ProductProcess;

  const waitUntil = <T>(what: string, fn: () => Promise<T | false> | T | false, timeoutMs = 40_000) =>
    eventually(fn, {
      timeoutMs,
      intervalMs: 100,
      what: () => `${what}\n${product?.output().slice(-4000) ?? ''}`,
    });
  const readyz = async () =>
    ((await (await fetch(`${product.url}/readyz`)).json()) as { checks: Record<string, string> }).checks;
  const metrics = async () => (await fetch(`${product.url}/metrics`)).text();
  const answersTo = (id: string) => graph.sent.filter((m) => m.parsed.inReplyTo === `<${id}@contoso.co.jp>`);
  const ackOf = (id: string) =>
    waitUntil(`the acknowledgement of ${id}`, () => answersTo(id)[0] ?? (false as const));
  const caseCount = async () =>
    Number((await query<{ n: string }>(db.url, 'select count(*) n from cases'))[0]!.n);

  beforeAll(async () => {
    peers = await startMicrosoftPeers(address);
    ({ entra, graph, db } = peers);
    // In the inbox a day before the product first reads it: taken as cases, never answered.
    const dayAgo = new Date(Date.now() - 86_400_000);
    graph.deliver(customerMail('old-1'), dayAgo);
    graph.deliver(customerMail('old-2'), dayAgo);
    product = await spawnProduct(productEnv(peers));
  }, 120_000);

  afterAll(async () => {
    await product?.kill('SIGTERM');
    await peers?.stop();
  });

  it('answers new mail through sendMail as MIME that keeps our Message-ID, In-Reply-To and References; what was there before is backlog', async () => {
    graph.deliver(customerMail('graph-1'));
    const ack: SentMail = await ackOf('graph-1');
    const [row] = await query<{ message_id: string }>(
      db.url,
      `select o.message_id from outbox o join cases c on c.id = o.case_id where c.subject = 'Graph graph-1'`,
    );
    expect(ack.parsed.messageId).toBe(row!.message_id);
    expect(ack.parsed.references).toContain('<graph-1@contoso.co.jp>');
    expect(ack.parsed.from?.value[0]?.address).toBe(address);
    expect(ack.parsed.to && 'value' in ack.parsed.to ? ack.parsed.to.value[0]?.address : null).toBe(
      'taro@contoso.co.jp',
    );
    const backlog = await query<{ n: string }>(db.url, 'select count(*) n from raw_mails where backlog');
    expect(Number(backlog[0]!.n)).toBe(2);
    expect(await caseCount()).toBe(3);
    expect(answersTo('old-1')).toHaveLength(0);
    expect(answersTo('old-2')).toHaveLength(0);
    const state = await readyz();
    expect(state.graph).toBe('ok');
    expect(state.graph_send).toBe('ok');
  });

  it('follows @odata.nextLink through a burst: every mail one case and one answer, each read once', async () => {
    graph.setMaxPageSize(10);
    const ids = Array.from({ length: 25 }, (_, i) => `burst-${i}`);
    for (const id of ids) graph.deliver(customerMail(id));
    await waitUntil('25 answers', () => ids.every((id) => answersTo(id).length === 1));
    const [burst] = await query<{ n: string }>(
      db.url,
      `select count(*) n from cases where subject like 'Graph burst-%'`,
    );
    expect(Number(burst!.n)).toBe(25);
    // Ten a page: the product followed @odata.nextLink at least twice in this burst.
    const pages = graph.requests.filter((r) => r.status === 200 && r.search.includes('$skiptoken='));
    expect(pages.length).toBeGreaterThanOrEqual(2);
    for (const reads of graph.valueReads.values()) expect(reads).toBe(1);
    expect(ids.every((id) => answersTo(id).length === 1)).toBe(true);
    graph.setMaxPageSize(1000);
  });

  it('keeps to four requests at a time for the mailbox', async () => {
    graph.setLatency(80);
    graph.resetMaxInFlight();
    const ids = Array.from({ length: 12 }, (_, i) => `slow-${i}`);
    for (const id of ids) graph.deliver(customerMail(id));
    await waitUntil('12 answers', () => ids.every((id) => answersTo(id).length === 1));
    graph.setLatency(0);
    expect(graph.maxInFlight()).toBeGreaterThan(1);
    expect(graph.maxInFlight()).toBeLessThanOrEqual(4);
  });

  it('waits out Retry-After on a 429, names the throttling, and goes on', async () => {
    graph.throttleNext(1, 2);
    graph.deliver(customerMail('throttled-1'));
    await ackOf('throttled-1');
    const i = graph.requests.findIndex((r) => r.status === 429);
    expect(i).toBeGreaterThanOrEqual(0);
    const next = graph.requests.slice(i + 1).find((r) => r.status !== 429);
    expect(next!.at - graph.requests[i]!.at).toBeGreaterThanOrEqual(1900);
    expect(await metrics()).toMatch(/^csp_graph_throttled_total [1-9]/m);
    expect(product.output()).toMatch(/"level":50[^\n]*throttling this mailbox/);
    expect((await readyz()).graph).toBe('ok');
  });

  it('takes a new token when Graph calls the one it had expired (401)', async () => {
    const issued = entra.issued.length;
    entra.expireAll();
    graph.deliver(customerMail('expired-1'));
    await ackOf('expired-1');
    expect(entra.issued.length).toBeGreaterThan(issued);
    expect(graph.requests.some((r) => r.status === 401)).toBe(true);
  });

  it('reads the inbox again when Graph lost the delta link (410), taking nothing twice', async () => {
    const before = await caseCount();
    graph.forgetDeltaLinks();
    graph.deliver(customerMail('after-410'));
    await ackOf('after-410');
    expect(graph.requests.some((r) => r.status === 410)).toBe(true);
    expect(await caseCount()).toBe(before + 1);
    for (const reads of graph.valueReads.values()) expect(reads).toBe(1);
    expect(product.output()).toContain('SyncStateNotFound');
  });

  it('names a missing mailbox permission (403) in /readyz, one error line and /metrics, then resumes with nothing lost', async () => {
    graph.setForbidden(true);
    await waitUntil('permission_missing named', async () => (await readyz()).graph === 'permission_missing');
    expect(product.output()).toMatch(/"level":50[^\n]*refused the app access to the mailbox \(403\)/);
    expect(await metrics()).toMatch(
      /^csp_mailbox_failures_total\{kind="graph",code="permission_missing"\} [1-9]/m,
    );
    graph.deliver(customerMail('while-forbidden'));
    graph.setForbidden(false);
    await ackOf('while-forbidden');
    await waitUntil('graph ok again', async () => (await readyz()).graph === 'ok');
  });

  it('names an expired app secret and recovers by itself once a new one works', async () => {
    entra.setMode('secret_expired');
    entra.expireAll();
    await waitUntil('app_secret_expired named', async () => (await readyz()).graph === 'app_secret_expired');
    graph.deliver(customerMail('after-secret'));
    entra.setMode('ok');
    await ackOf('after-secret');
    expect((await readyz()).graph).toBe('ok');
  }, 90_000);

  it('opens the case of a mail larger than MAIL_MAX_BYTES from its headers and text, listing the rest', async () => {
    const big = Buffer.alloc(400_000, 7).toString('base64');
    const mime = [
      'From: taro@contoso.co.jp',
      `To: ${address}`,
      'Subject: Graph big-1',
      'Message-ID: <big-1@contoso.co.jp>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'ログを添付します。',
      '--b1',
      'Content-Type: application/zip; name="logs.zip"',
      'Content-Disposition: attachment; filename="logs.zip"',
      'Content-Transfer-Encoding: base64',
      '',
      big.match(/.{1,76}/g)!.join('\r\n'),
      '--b1--',
      '',
    ].join('\r\n');
    const id = graph.deliver(mime);
    await ackOf('big-1');
    const [raw] = await query<{ cut: boolean; size: number; omitted_parts: { filename: string }[] }>(
      db.url,
      'select cut, size, omitted_parts from raw_mails where remote_id = $1',
      [id],
    );
    expect(raw!.cut).toBe(true);
    expect(raw!.size).toBeGreaterThan(300_000);
    expect(raw!.omitted_parts.map((p) => p.filename)).toEqual(['logs.zip']);
    const [msg] = await query<{ text: string }>(
      db.url,
      `select m.text from messages m join cases c on c.id = m.case_id where c.subject = 'Graph big-1'`,
    );
    expect(msg!.text).toContain('ログを添付します。');
  });
});

describe('kill -9 during Graph intake', () => {
  let peers: MicrosoftPeers;
  let graph: GraphMailboxDouble;
  let db: TestDatabase;
  let product: ProductProcess | null = null;

  beforeAll(async () => {
    peers = await startMicrosoftPeers(address);
    ({ graph, db } = peers);
  }, 60_000);

  afterAll(async () => {
    await product?.kill('SIGTERM');
    await peers?.stop();
  });

  it('killed in the middle of reading the inbox and restarted: every mail one case, one message, one answer', async () => {
    const env = { ...productEnv(peers), LOG_LEVEL: 'warn' };
    product = await spawnProduct(env);
    // Arriving after the first read (so they are answered), read slowly so that the kill falls mid-way.
    await eventually(
      async () => (await query(db.url, 'select 1 from graph_sync_state where not initial')).length > 0,
      {
        timeoutMs: 30_000,
        what: 'the first read finished',
      },
    );
    graph.setLatency(150);
    graph.setMaxPageSize(10);
    const total = 40;
    for (let i = 0; i < total; i++) graph.deliver(customerMail(`crash-${i}`));
    const stored = async () =>
      Number((await query<{ n: string }>(db.url, 'select count(*) n from raw_mails'))[0]!.n);
    await eventually(async () => (await stored()) >= 8, { timeoutMs: 30_000, what: 'some mails stored' });
    await product.kill('SIGKILL');
    expect(await stored()).toBeLessThan(total);
    graph.setLatency(0);
    product = await spawnProduct(env);
    await eventually(
      async () =>
        Number(
          (await query<{ n: string }>(db.url, `select count(*) n from outbox where status = 'sent'`))[0]!.n,
        ) === total,
      { timeoutMs: 60_000, what: () => `all answers sent\n${product?.output().slice(-3000)}` },
    );
    const [cases] = await query<{ n: string }>(db.url, 'select count(*) n from cases');
    const [inbound] = await query<{ n: string; ids: string }>(
      db.url,
      `select count(*) n, count(distinct message_id) ids from messages where direction = 'in'`,
    );
    expect(Number(cases!.n)).toBe(total);
    expect(Number(inbound!.n)).toBe(total);
    expect(Number(inbound!.ids)).toBe(total);
    const answered = new Set(graph.sent.map((m) => m.parsed.inReplyTo));
    expect(answered.size).toBe(total);
    // A send the relay took just before the kill may go once more; never more than the sends in flight.
    expect(graph.sent.length - total).toBeLessThanOrEqual(4);
  }, 150_000);
});

describe('an Entra app with a certificate instead of a secret', () => {
  let peers: MicrosoftPeers;
  let entra: EntraDouble;
  let graph: GraphMailboxDouble;
  let dir: string;
  let product: ProductProcess | null = null;

  const makeCertificate = (name: string) => makeAppCertificate(dir, name);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'app-cert-'));
    const app = makeCertificate('app');
    peers = await startMicrosoftPeers(address, { appCertificate: app.cert });
    ({ entra, graph } = peers);
    const { MS_CLIENT_SECRET: _secret, ...env } = productEnv(peers);
    product = await spawnProduct({ ...env, MS_CLIENT_CERTIFICATE_FILE: app.file });
  }, 60_000);

  afterAll(async () => {
    await product?.kill('SIGTERM');
    await peers?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes its tokens with a signed client assertion and reads and answers the mailbox', async () => {
    graph.deliver(customerMail('cert-1'));
    await eventually(() => graph.sent.some((m) => m.parsed.inReplyTo === '<cert-1@contoso.co.jp>'), {
      timeoutMs: 30_000,
      what: () => `the answer to cert-1\n${product?.output().slice(-3000)}`,
    });
    expect(entra.issued.length).toBeGreaterThan(0);
  });

  it('names a certificate the app does not know, and stops start-up on one that cannot be read', async () => {
    const other = makeCertificate('other');
    const { MS_CLIENT_SECRET: _secret, ...env }: Record<string, string> = {
      ...productEnv(peers),
      REDIS_PREFIX: testRedisPrefix(),
    };
    const wrong = await spawnProduct({ ...env, MS_CLIENT_CERTIFICATE_FILE: other.file }, 30_000, 'listening');
    try {
      await eventually(
        async () =>
          ((await (await fetch(`${wrong.url}/readyz`)).json()) as { checks: Record<string, string> }).checks
            .graph === 'app_certificate_invalid',
        { timeoutMs: 30_000, what: () => `app_certificate_invalid named\n${wrong.output().slice(-3000)}` },
      );
      expect(wrong.output()).toMatch(/"level":50[^\n]*AADSTS700027/);
    } finally {
      await wrong.kill('SIGTERM');
    }
    writeFileSync(path.join(dir, 'broken.pem'), 'not a certificate');
    await expect(
      spawnProduct({ ...env, MS_CLIENT_CERTIFICATE_FILE: path.join(dir, 'broken.pem') }, 15_000),
    ).rejects.toThrow(/MS_CLIENT_CERTIFICATE_FILE: must be a PEM file/);
  });
});
