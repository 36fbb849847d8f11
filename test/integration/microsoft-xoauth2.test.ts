import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type DovecotServer, startDovecot } from '../support/dovecot.js';
import { type EntraDouble, startEntraDouble } from '../support/entra-double.js';
import { eventually } from '../support/eventually.js';
import { mail } from '../support/factories.js';
import { createTestMailbox, type TestMailbox } from '../support/mailbox.js';
import { apiToken } from '../support/product.js';
import { type ProductProcess, spawnProduct } from '../support/product-process.js';
import { cleanupRedisPrefix, testRedisPrefix } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { createTestCa, type TestCa } from '../support/test-ca.js';

// A Microsoft 365 mailbox as Exchange Online serves it: no passwords, IMAP and SMTP logins by XOAUTH2 with
// app-only tokens from Entra (here a local token service over TLS, which Dovecot and the SMTP peer consult).
// The product runs as its own process, trusting the local CA through NODE_EXTRA_CA_CERTS as it would a
// private one.

const run = promisify(execFile);

describe('Microsoft 365 mailbox by XOAUTH2', () => {
  let ca: TestCa;
  let entra: EntraDouble;
  let dovecot: DovecotServer;
  let box: TestMailbox;
  let relay: SmtpSink;
  let db: TestDatabase;
  let prefix: string;
  let product: ProductProcess;
  /** Between the product and Dovecot, to end sessions as Exchange does. */
  let imapProxy: TcpProxy;

  const waitUntil = <T>(what: string, fn: () => Promise<T | false> | T | false, timeoutMs = 40_000) =>
    eventually(fn, {
      timeoutMs,
      intervalMs: 100,
      what: () => `${what}\n${product?.output().slice(-4000) ?? ''}`,
    });
  const readyz = async () =>
    ((await (await fetch(`${product.url}/readyz`)).json()) as { checks: Record<string, string> }).checks;
  const ackOf = (id: string) =>
    waitUntil(
      `the acknowledgement of ${id}`,
      () => relay.messages.find((m) => m.parsed.inReplyTo === `<${id}@contoso.co.jp>`) ?? false,
    );
  const customerMail = (id: string) =>
    mail({
      from: 'taro@contoso.co.jp',
      subject: `M365 ${id}`,
      body: '本文',
      messageId: `<${id}@contoso.co.jp>`,
    });
  /** Dovecot ends every session of the mailbox user, as Exchange does when a token runs out. */
  const kick = () => run('doveadm', ['-c', path.join(dovecot.dir, 'dovecot.conf'), 'kick', dovecot.user]);

  beforeAll(async () => {
    ca = await createTestCa('local Entra CA');
    entra = await startEntraDouble({ cert: ca.cert, key: ca.key, user: 'support@example.test' });
    dovecot = await startDovecot({ oauth2IntrospectionUrl: entra.introspectionUrl });
    box = await createTestMailbox(dovecot);
    imapProxy = await startTcpProxy({ host: '127.0.0.1', port: dovecot.port });
    relay = await startSmtpSink({
      auth: { xoauth2: (user, token) => user === dovecot.user && entra.valid(token) },
    });
    db = await createTestDatabase();
    prefix = testRedisPrefix();
    const user = encodeURIComponent(dovecot.user);
    product = await spawnProduct({
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: prefix,
      IMAP_URL: `imap://${user}@127.0.0.1:${imapProxy.port}/${box.path}?tls=off&auth=xoauth2`,
      SMTP_URL: `smtp://${user}@127.0.0.1:${relay.port}?tls=off&auth=xoauth2`,
      MS_TENANT_ID: entra.tenantId,
      MS_CLIENT_ID: entra.clientId,
      MS_CLIENT_SECRET: entra.clientSecret,
      MS_LOGIN_URL: entra.loginUrl,
      GRAPH_URL: entra.graphUrl,
      SERVICE_HEALTH_POLL_SECONDS: '1',
      NODE_EXTRA_CA_CERTS: ca.caFile,
      SUPPORT_ADDRESS: 'support@example.test',
      ADMIN_API_TOKEN: apiToken,
      LOG_LEVEL: 'info',
      IMAP_POLL_SECONDS: '2',
    });
  }, 120_000);

  afterAll(async () => {
    await product?.kill('SIGTERM');
    await relay?.stop();
    await imapProxy?.close();
    await box?.remove();
    await dovecot?.stop();
    await entra?.stop();
    await ca?.remove();
    await db?.drop();
    if (prefix) await cleanupRedisPrefix(prefix);
  });

  it('reads the mailbox and answers through the relay with app-only tokens, no password anywhere', async () => {
    await box.append(customerMail('xoauth2-1'));
    const ack = await ackOf('xoauth2-1');
    expect(ack.user).toBe(dovecot.user);
    expect(relay.authAttempts.some((a) => a.accepted)).toBe(true);
    expect(entra.issued.length).toBeGreaterThan(0);
    expect((await readyz()).imap).toBe('ok');
    const log = await readFile(path.join(dovecot.dir, 'dovecot.log'), 'utf8');
    expect(log).toMatch(/Login: user=<support@example\.test>, method=XOAUTH2/);
  });

  it('sends once more with a fresh token when the relay refuses the one it had (as Exchange does: a plain 535)', async () => {
    const cases = await fetch(`${product.url}/api/cases`, {
      headers: { authorization: `Bearer ${apiToken}` },
    });
    const [kase] = ((await cases.json()) as { items: { number: number }[] }).items;
    entra.expireAll();
    // A pooled connection stays logged in; a new one must log in with the token the sender holds.
    relay.dropConnections();
    const refusedBefore = relay.authAttempts.filter((a) => !a.accepted).length;
    const sent = relay.messages.length;
    const res = await fetch(`${product.url}/api/cases/${kase!.number}/replies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Outlook を再起動してください。' }),
    });
    expect(res.status).toBe(201);
    const answer = await waitUntil(
      'the answer at the relay',
      () =>
        relay.messages.slice(sent).find((m) => m.parsed.text?.includes('Outlook を再起動してください。')) ??
        false,
    );
    expect(answer.user).toBe(dovecot.user);
    expect(relay.authAttempts.filter((a) => !a.accepted).length).toBeGreaterThan(refusedBefore);
    expect(relay.authAttempts.at(-1)!.accepted).toBe(true);
  });

  it("imports service health from Graph with the app's own token, renewed when Graph calls it expired", async () => {
    const incident = async () => {
      const res = await fetch(`${product.url}/api/incidents/EX654321`, {
        headers: { authorization: `Bearer ${apiToken}` },
      });
      return res.status === 200 ? ((await res.json()) as { service: string }) : false;
    };
    expect((await waitUntil('the incident imported', incident)).service).toBe('Exchange Online');
    expect((await readyz()).service_health).toBe('ok');
    // The list of services comes from healthOverviews, with each one's state.
    const services = await fetch(`${product.url}/api/services`, {
      headers: { authorization: `Bearer ${apiToken}` },
    });
    const listed = ((await services.json()) as { items: { service: string; operational: boolean }[] }).items;
    expect(listed.map((s) => [s.service, s.operational])).toEqual([
      ['Exchange Online', false],
      ['Microsoft Teams', true],
      ['Power Automate', true],
    ]);
    const refused = entra.graphUnauthorized();
    entra.expireAll();
    await waitUntil(
      'an import with a renewed token',
      async () => entra.graphUnauthorized() > refused && (await readyz()).service_health === 'ok',
    );
  });

  it('names a missing Graph permission in /readyz and goes back to ok once it is granted', async () => {
    entra.setGraphForbidden(true);
    await waitUntil(
      'the missing permission named',
      async () => (await readyz()).service_health === 'permission_missing',
    );
    expect(product.output()).toMatch(/"level":50[^\n]*service health import failed: permission_missing/);
    // Named, yet the process stays ready: mail and chat do not depend on the incident import.
    expect((await fetch(`${product.url}/readyz`)).status).toBe(200);
    entra.setGraphForbidden(false);
    await waitUntil('service health ok again', async () => (await readyz()).service_health === 'ok');
  });

  it('takes a new token at once when Exchange ends the session with "AccessTokenExpired"', async () => {
    const dovecotLog = () => readFile(path.join(dovecot.dir, 'dovecot.log'), 'utf8');
    const refusedBefore = ((await dovecotLog()).match(/auth failed/g) ?? []).length;
    const before = entra.tokenRequests();
    entra.expireAll();
    imapProxy.endOpenConnections('* BYE Session invalidated - AccessTokenExpired\r\n');
    await box.append(customerMail('xoauth2-bye'));
    await ackOf('xoauth2-bye');
    expect(entra.tokenRequests()).toBeGreaterThan(before);
    // The new token came before any login: the server never had to refuse the stale one.
    expect(((await dovecotLog()).match(/auth failed/g) ?? []).length).toBe(refusedBefore);
    expect(product.output()).toContain('ended the session for an expired token');
  });

  it('logs in again with a new token when the server ends the session and the old token is dead', async () => {
    const before = entra.issued.length;
    entra.expireAll();
    await kick();
    // Sent while the intake is between sessions: found when it is back.
    await box.append(customerMail('xoauth2-2'));
    const ack = await ackOf('xoauth2-2');
    expect(entra.issued.length).toBeGreaterThan(before);
    expect(entra.valid(entra.issued.at(-1)!)).toBe(true);
    expect(ack.user).toBe(dovecot.user);
    expect((await readyz()).imap).toBe('ok');
  });

  it('names an expired app secret in /readyz and one error line, and recovers by itself once it is renewed', async () => {
    entra.setMode('secret_expired');
    entra.expireAll();
    imapProxy.endOpenConnections('* BYE Session invalidated - AccessTokenExpired\r\n');
    await waitUntil(
      'the expired secret named in /readyz',
      async () => (await readyz()).imap === 'app_secret_expired',
    );
    const line = product
      .output()
      .split('\n')
      .find((l) => l.includes('AADSTS7000222') && l.includes('"level":50'));
    expect(line, 'one error line names the cause').toBeDefined();
    expect(line).not.toContain(entra.clientSecret);
    const metrics = await (await fetch(`${product.url}/metrics`)).text();
    expect(metrics).toMatch(/^csp_entra_token_failures_total\{code="app_secret_expired"\} [1-9]/m);
    await box.append(customerMail('xoauth2-3'));
    entra.setMode('ok');
    // The intake tries again with a growing pause (at most 30 s): within that, it is back with nothing lost.
    await ackOf('xoauth2-3');
    expect((await readyz()).imap).toBe('ok');
  }, 120_000);
});
