import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type DovecotServer, startDovecot } from '../support/dovecot.js';
import { eventually } from '../support/eventually.js';
import { mail } from '../support/factories.js';
import { createTestMailbox, type TestMailbox } from '../support/mailbox.js';
import { apiToken } from '../support/product.js';
import { type ProductProcess, spawnProduct } from '../support/product-process.js';
import { cleanupRedisPrefix, testRedisPrefix } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { createTestCa, type TestCa } from '../support/test-ca.js';

// Every mail server is reached over TLS with its certificate verified: STARTTLS before any credential, implicit
// TLS for imaps/smtps, and a server whose certificate no trusted CA signed is refused. The product runs as its
// own process, because NODE_EXTRA_CA_CERTS (how a private CA is trusted) is read at process start.

const relayUser = 'relay@example.test';
const relayPassword = 'relay-pass-0123';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

const logLines = (p: ProductProcess): LogLine[] =>
  p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

describe('mail transport security', () => {
  let ca: TestCa;
  let strangerCa: TestCa;
  let dovecot: DovecotServer;
  let strangerDovecot: DovecotServer;
  // Per test
  let db: TestDatabase | null = null;
  let prefix: string | null = null;
  let product: ProductProcess | null = null;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    ca = await createTestCa('trusted test CA');
    strangerCa = await createTestCa('stranger CA');
    dovecot = await startDovecot({ tls: { certFile: ca.certFile, keyFile: ca.keyFile } });
    strangerDovecot = await startDovecot({
      tls: { certFile: strangerCa.certFile, keyFile: strangerCa.keyFile },
    });
  });

  afterAll(async () => {
    await Promise.all([dovecot?.stop(), strangerDovecot?.stop()]);
    await Promise.all([ca?.remove(), strangerCa?.remove()]);
  });

  afterEach(async () => {
    await product?.kill('SIGTERM');
    product = null;
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await db?.drop();
    db = null;
    if (prefix) await cleanupRedisPrefix(prefix);
    prefix = null;
  });

  const waitUntil = <T>(what: string, fn: () => Promise<T | false> | T | false, timeoutMs = 30_000) =>
    eventually(fn, {
      timeoutMs,
      intervalMs: 100,
      what: () => `${what}\n${product?.output().slice(-4000) ?? ''}`,
    });

  const readyz = async () => {
    const res = await fetch(`${product!.url}/readyz`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
  };

  const start = async (urls: { imap: string; smtp?: string }, logLevel = 'info') => {
    db = await createTestDatabase();
    prefix = testRedisPrefix();
    product = await spawnProduct(
      {
        DATABASE_URL: db.url,
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_PREFIX: prefix,
        IMAP_URL: urls.imap,
        ...(urls.smtp ? { SMTP_URL: urls.smtp } : {}),
        SUPPORT_ADDRESS: 'support@example.test',
        ADMIN_API_TOKEN: apiToken,
        LOG_LEVEL: logLevel,
        IMAP_POLL_SECONDS: '2',
        NODE_EXTRA_CA_CERTS: ca.caFile,
      },
      30_000,
      'listening',
    );
  };

  const tlsMailbox = async (server: DovecotServer): Promise<TestMailbox> => {
    const box = await createTestMailbox({ ...server, ca: ca.ca });
    cleanups.push(() => box.remove());
    return box;
  };

  const sink = async (opts: Parameters<typeof startSmtpSink>[0]): Promise<SmtpSink> => {
    const s = await startSmtpSink(opts);
    cleanups.push(() => s.stop());
    return s;
  };

  const imapUrl = (server: DovecotServer, box: string, scheme: 'imap' | 'imaps' = 'imap') =>
    `${scheme}://${encodeURIComponent(server.user)}:${server.password}@127.0.0.1:${
      scheme === 'imaps' ? server.tlsPort : server.port
    }/${box}`;
  const relayUrl = (s: SmtpSink) =>
    `smtp://${encodeURIComponent(relayUser)}:${relayPassword}@127.0.0.1:${s.port}`;

  const outboxErrors = async (): Promise<string[]> => {
    const client = new pg.Client({ connectionString: db!.url });
    await client.connect();
    try {
      const rows = await client.query<{ last_error: string | null }>('select last_error from outbox');
      return rows.rows.map((r) => r.last_error ?? '').filter(Boolean);
    } finally {
      await client.end();
    }
  };

  /** The intake's error lines, once it has failed at least twice (the repeat is logged at debug only). */
  const intakeErrorsAfterRetry = async () => {
    await waitUntil('a second failed attempt', () =>
      logLines(product!).some((l) => l.msg === 'mailbox still unavailable'),
    );
    return logLines(product!).filter((l) => l.level >= 50 && l.component === 'imap-intake');
  };

  const customerMail = (id: string) =>
    mail({
      from: 'taro@contoso.co.jp',
      subject: 'TLS テスト',
      body: '本文',
      messageId: `<${id}@contoso.co.jp>`,
    });

  it('imap:// and smtp:// upgrade with STARTTLS: the login and AUTH travel only over TLS', async () => {
    const box = await tlsMailbox(dovecot);
    const relay = await sink({
      tls: { key: ca.key, cert: ca.cert },
      auth: { user: relayUser, password: relayPassword },
    });
    await start({ imap: imapUrl(dovecot, box.path), smtp: relayUrl(relay) });

    await box.append(customerMail('starttls-1'));
    const [ack] = await waitUntil('the acknowledgement at the relay', async () =>
      relay.messages.length ? relay.messages : false,
    );
    expect(ack!.parsed.inReplyTo).toBe('<starttls-1@contoso.co.jp>');
    // The relay saw the credentials and the mail only on an encrypted session.
    expect(ack!.secure).toBe(true);
    expect(ack!.user).toBe(relayUser);
    expect(relay.authAttempts.length).toBeGreaterThan(0);
    expect(relay.authAttempts.every((a) => a.secure && a.accepted)).toBe(true);
    // Dovecot notes ", TLS" on every login made over an encrypted connection (the test's own ones too).
    const logins = (await readFile(path.join(dovecot.dir, 'dovecot.log'), 'utf8'))
      .split('\n')
      .filter((l) => l.includes('Login: user=<'));
    expect(logins.length).toBeGreaterThan(0);
    for (const line of logins) expect(line).toMatch(/, TLS[,:]/);
    expect((await readyz()).body.checks.imap).toBe('ok');
  });

  it('imaps:// is implicit TLS; a relay that offers AUTH without STARTTLS gets no credentials', async () => {
    const box = await tlsMailbox(dovecot);
    const relay = await sink({ auth: { user: relayUser, password: relayPassword } });
    await start({ imap: imapUrl(dovecot, box.path, 'imaps'), smtp: relayUrl(relay) });

    await box.append(customerMail('no-starttls-1'));
    // The mail came in over imaps (its case exists and a reply was tried), but the reply was never sent.
    const errors = await waitUntil('the failed send', async () => {
      const e = await outboxErrors();
      return e.length ? e : false;
    });
    expect(errors.join('\n')).toMatch(/STARTTLS/);
    expect(relay.authAttempts).toEqual([]);
    expect(relay.messages).toEqual([]);
    const line = logLines(product!).find((l) => l.level >= 40 && JSON.stringify(l).includes('STARTTLS'));
    expect(line, 'a log line names STARTTLS').toBeDefined();
    expect(JSON.stringify(line)).not.toContain(relayPassword);
    expect((await readyz()).body.checks.imap).toBe('ok');
  });

  it('smtps:// is implicit TLS to the relay', async () => {
    const box = await tlsMailbox(dovecot);
    const relay = await sink({
      tls: { key: ca.key, cert: ca.cert },
      implicitTls: true,
      auth: { user: relayUser, password: relayPassword },
    });
    await start({
      imap: imapUrl(dovecot, box.path),
      smtp: `smtps://${encodeURIComponent(relayUser)}:${relayPassword}@127.0.0.1:${relay.port}`,
    });

    await box.append(customerMail('smtps-1'));
    const [ack] = await waitUntil('the acknowledgement at the relay', async () =>
      relay.messages.length ? relay.messages : false,
    );
    expect(ack!.parsed.inReplyTo).toBe('<smtps-1@contoso.co.jp>');
    expect(ack!.secure).toBe(true);
    expect(relay.authAttempts.every((a) => a.secure && a.accepted)).toBe(true);
  });

  it('a relay whose certificate no trusted CA signed is refused before AUTH, with a log line saying so', async () => {
    const box = await tlsMailbox(dovecot);
    const relay = await sink({
      tls: { key: strangerCa.key, cert: strangerCa.cert },
      auth: { user: relayUser, password: relayPassword },
    });
    await start({ imap: imapUrl(dovecot, box.path), smtp: relayUrl(relay) });

    await box.append(customerMail('stranger-relay-1'));
    const line = await waitUntil('a log line about the certificate', () =>
      logLines(product!).find((l) => l.level >= 40 && /certificate/i.test(JSON.stringify(l))),
    );
    expect(JSON.stringify(line)).not.toContain(relayPassword);
    expect(relay.authAttempts).toEqual([]);
    expect(relay.messages).toEqual([]);
  });

  it('a mailbox server whose certificate no trusted CA signed is refused: /readyz and one error line say so', async () => {
    await start({ imap: imapUrl(strangerDovecot, 'INBOX') }, 'debug');

    const { status } = await waitUntil('imap: certificate_rejected in /readyz', async () => {
      const r = await readyz();
      return r.body.checks.imap === 'certificate_rejected' ? r : false;
    });
    expect(status).toBe(503);
    const errors = await intakeErrorsAfterRetry();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.mailbox).toBe(`${strangerDovecot.user}@127.0.0.1:${strangerDovecot.port}/INBOX`);
    expect(errors[0]!.msg).toMatch(/certificate/);
    expect(product!.output()).not.toContain(strangerDovecot.password);
    // Nothing was logged in: Dovecot saw no login.
    const log = await readFile(path.join(strangerDovecot.dir, 'dovecot.log'), 'utf8').catch(() => '');
    expect(log).not.toContain('Login: user=<');
  });

  it('imap:// to a server without STARTTLS never sends the password in plain text', async () => {
    const plain = await startDovecot();
    cleanups.push(() => plain.stop());
    await start({ imap: imapUrl(plain, 'INBOX') }, 'debug');

    const { status } = await waitUntil('imap: tls_failed in /readyz', async () => {
      const r = await readyz();
      return r.body.checks.imap === 'tls_failed' ? r : false;
    });
    expect(status).toBe(503);
    const errors = await intakeErrorsAfterRetry();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/STARTTLS/);
    const log = await readFile(path.join(plain.dir, 'dovecot.log'), 'utf8').catch(() => '');
    expect(log).not.toContain('Login: user=<');
  });
});
