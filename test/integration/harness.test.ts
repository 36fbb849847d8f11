import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/eventually.js';
import { mail } from '../support/factories.js';
import { createTestMailbox, type TestMailbox } from '../support/mailbox.js';
import { cleanupRedisPrefix, testRedisPrefix } from '../support/redis.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

// An ISO-2022-JP mail as Japanese mail clients still send it: encoded-word headers, 7-bit JIS body.
const SUBJECT = '【至急】請求書の件について';
const FROM_NAME = '山田 太郎';
const BODY = 'お世話になっております。\n請求書の金額が違うようです。\nご確認をお願いします。';
const SUBJECT_B64 = 'GyRCIVo7ajVeIVtAQTVhPXEkTjdvJEskRCQkJEYbKEI=';
const FROM_NAME_B64 = 'GyRCOzNFRBsoQiAbJEJCQE86GyhC';
const BODY_JIS = Buffer.from(
  'GyRCJCpAJE9DJEskSiRDJEYkKiRqJF4kOSEjGyhCDQobJEJAQTVhPXEkTjZiM1skLDBjJCYkaCQmJEckOSEjGyhCDQob' +
    'JEIkNDNORyckciQqNGokJCQ3JF4kOSEjGyhCDQo=',
  'base64',
);

function iso2022jpMail(messageId: string): Buffer {
  const head = [
    `From: =?ISO-2022-JP?B?${FROM_NAME_B64}?= <yamada@customer.example>`,
    'To: support@example.test',
    `Subject: =?ISO-2022-JP?B?${SUBJECT_B64}?=`,
    `Message-ID: <${messageId}>`,
    'Date: Tue, 25 Nov 2025 10:00:00 +0900',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=ISO-2022-JP',
    'Content-Transfer-Encoding: 7bit',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'ascii'), BODY_JIS]);
}

describe('test harness', () => {
  const dovecot = inject('dovecot');
  let sink: SmtpSink;
  let db: TestDatabase;
  let mailbox: TestMailbox;
  const redisPrefix = testRedisPrefix();
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    let t = performance.now();
    sink = await startSmtpSink();
    timings.smtpSink = performance.now() - t;
    t = performance.now();
    db = await createTestDatabase();
    timings.createTestDatabase = performance.now() - t;
    t = performance.now();
    mailbox = await createTestMailbox(dovecot);
    timings.createTestMailbox = performance.now() - t;
  });

  afterAll(async () => {
    const t = performance.now();
    await Promise.allSettled([sink?.stop(), mailbox?.remove(), db?.drop(), cleanupRedisPrefix(redisPrefix)]);
    timings.cleanup = performance.now() - t;
    if (process.env.HARNESS_DEBUG) {
      console.log(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, `${Math.round(v)} ms`])));
    }
  });

  it('provides the Dovecot of the run through inject("dovecot")', () => {
    expect(dovecot.host).toBe('127.0.0.1');
    expect(dovecot.port).toBeGreaterThan(0);
    expect(dovecot.user).toBe('support@example.test');
    expect(dovecot.password).toMatch(/^[0-9a-f]{24}$/);
  });

  it('fixture bytes really are ISO-2022-JP for the expected text', () => {
    const decoder = new TextDecoder('iso-2022-jp');
    expect(decoder.decode(Buffer.from(SUBJECT_B64, 'base64'))).toBe(SUBJECT);
    expect(decoder.decode(BODY_JIS).replaceAll('\r\n', '\n').trimEnd()).toBe(BODY);
    // 7-bit: no byte above 0x7f anywhere in the message.
    expect(iso2022jpMail('x@y').every((byte) => byte < 0x80)).toBe(true);
  });

  it('the mail factory writes the charset, threading and extra headers a client would', async () => {
    const raw = mail({
      from: '山田 <taro@contoso.co.jp>',
      subject: 'Re: [Case #7] 請求書',
      body: '請求書を再送してください。\n以上',
      messageId: '<m-2@contoso.co.jp>',
      charset: 'shift_jis',
      inReplyTo: '<ack-1@example.test>',
      references: ['<m-1@contoso.co.jp>', '<ack-1@example.test>'],
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    expect(raw).toContain('Content-Type: text/plain; charset=shift_jis\r\nContent-Transfer-Encoding: base64');
    const parsed = await simpleParser(raw);
    expect(parsed.text?.trim()).toBe('請求書を再送してください。\n以上');
    expect(parsed.inReplyTo).toBe('<ack-1@example.test>');
    expect(parsed.references).toEqual(['<m-1@contoso.co.jp>', '<ack-1@example.test>']);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(parsed.messageId).toBe('<m-2@contoso.co.jp>');
  });

  it('createTestDatabase gives a usable database that drop() removes', async () => {
    expect(db.name).toMatch(/^csp_test_[0-9a-f]+$/);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE t (id serial PRIMARY KEY, label text NOT NULL)');
      await client.query('INSERT INTO t (label) VALUES ($1)', ['請求書']);
      const { rows } = await client.query<{ label: string }>('SELECT label FROM t');
      expect(rows).toEqual([{ label: '請求書' }]);
      const current = await client.query<{ db: string }>('SELECT current_database() AS db');
      expect(current.rows[0]?.db).toBe(db.name);
    } finally {
      await client.end();
    }

    // drop() must work even while somebody is still connected.
    const other = await createTestDatabase();
    const lingering = new pg.Client({ connectionString: other.url });
    lingering.on('error', () => {});
    await lingering.connect();
    await other.drop();
    await lingering.end().catch(() => {});
    const admin = new pg.Client({
      connectionString: process.env.TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    });
    await admin.connect();
    try {
      const left = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [other.name]);
      expect(left.rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it('cleanupRedisPrefix deletes only the keys under the prefix', async () => {
    const { Redis } = await import('ioredis');
    const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    const otherPrefix = testRedisPrefix();
    try {
      expect(redisPrefix).toMatch(/^csp-test-[0-9a-f]+$/);
      const pipeline = redis.pipeline();
      for (let i = 0; i < 1200; i++) pipeline.set(`${redisPrefix}:job:${i}`, String(i));
      pipeline.set(`${otherPrefix}:keep`, '1');
      await pipeline.exec();
      expect(await cleanupRedisPrefix(redisPrefix)).toBe(1200);
      expect(await redis.exists(`${redisPrefix}:job:7`)).toBe(0);
      expect(await redis.get(`${otherPrefix}:keep`)).toBe('1');
    } finally {
      await cleanupRedisPrefix(otherPrefix);
      await redis.quit();
    }
  });

  it('appends an ISO-2022-JP mail to the test mailbox and reads it back intact', async () => {
    expect(mailbox.path).toMatch(/^t-[0-9a-f]+$/);
    const url = new URL(mailbox.imapUrl);
    expect(url.protocol).toBe('imap:');
    expect(url.username).toBe('support%40example.test');
    expect(mailbox.imapUrl).toBe(
      `imap://support%40example.test:${dovecot.password}@127.0.0.1:${dovecot.port}/${mailbox.path}?tls=off`,
    );

    await mailbox.append(iso2022jpMail('jp-1@customer.example'));
    expect(await mailbox.count()).toBe(1);

    // Read it back the way the app would: a separate connection built from imapUrl alone.
    const client = new ImapFlow({
      host: url.hostname,
      port: Number(url.port),
      secure: false,
      auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) },
      logger: false,
    });
    client.on('error', () => {});
    await client.connect();
    let source: Buffer | undefined;
    try {
      const lock = await client.getMailboxLock(decodeURIComponent(url.pathname.slice(1)));
      try {
        const message = await client.fetchOne('*', { source: true, flags: true });
        source = message === false ? undefined : message.source;
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
    expect(source).toBeDefined();
    const parsed = await simpleParser(source!);
    expect(parsed.subject).toBe(SUBJECT);
    expect(parsed.from?.value[0]?.name).toBe(FROM_NAME);
    expect(parsed.from?.value[0]?.address).toBe('yamada@customer.example');
    expect(parsed.messageId).toBe('<jp-1@customer.example>');
    expect(parsed.text?.replaceAll('\r\n', '\n').trimEnd()).toBe(BODY);
  });

  it('remove() deletes the folder', async () => {
    const extra = await createTestMailbox(dovecot);
    await extra.append('Subject: x\r\n\r\nbody\r\n', ['\\Seen']);
    expect(await extra.count()).toBe(1);
    await extra.remove();
    await extra.remove(); // idempotent
    const client = new ImapFlow({
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      auth: { user: dovecot.user, pass: dovecot.password },
      logger: false,
    });
    client.on('error', () => {});
    await client.connect();
    try {
      const paths = (await client.list()).map((entry) => entry.path);
      expect(paths).toContain(mailbox.path);
      expect(paths).not.toContain(extra.path);
    } finally {
      await client.logout();
    }
  });

  it('the SMTP sink receives a mail sent with nodemailer', async () => {
    const transport = nodemailer.createTransport({
      host: sink.host,
      port: sink.port,
      secure: false,
      ignoreTLS: true,
    });
    try {
      await transport.sendMail({
        from: 'サポート窓口 <support@example.test>',
        to: 'yamada@customer.example',
        subject: 'Re: 【至急】請求書の件について',
        text: 'お問い合わせありがとうございます。',
        inReplyTo: '<jp-1@customer.example>',
        references: ['<jp-1@customer.example>'],
        headers: { 'Auto-Submitted': 'auto-replied' },
      });
    } finally {
      transport.close();
    }
    const [received] = await sink.waitFor(1);
    expect(sink.url).toBe(`smtp://127.0.0.1:${sink.port}`);
    expect(received?.envelopeFrom).toBe('support@example.test');
    expect(received?.envelopeTo).toEqual(['yamada@customer.example']);
    expect(received?.parsed.subject).toBe('Re: 【至急】請求書の件について');
    expect(received?.parsed.inReplyTo).toBe('<jp-1@customer.example>');
    expect(received?.parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(received?.raw.toString('latin1')).toContain('In-Reply-To: <jp-1@customer.example>');

    await expect(sink.waitFor(2, 200)).rejects.toThrow(
      /expected at least 2 message\(s\) within 200 ms, got 1/,
    );
  });

  it('a stalled sink makes nodemailer time out, and the sink recovers when un-stalled', async () => {
    sink.setStall(true);
    const stalled = nodemailer.createTransport({
      host: sink.host,
      port: sink.port,
      secure: false,
      ignoreTLS: true,
      socketTimeout: 1000,
    });
    const started = performance.now();
    try {
      await expect(
        stalled.sendMail({
          from: 'support@example.test',
          to: 'a@customer.example',
          subject: 'lost',
          text: 'x',
        }),
      ).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    } finally {
      stalled.close();
    }
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(10_000);
    expect(sink.messages).toHaveLength(1);

    sink.setStall(false);
    const transport = nodemailer.createTransport({
      host: sink.host,
      port: sink.port,
      secure: false,
      ignoreTLS: true,
    });
    try {
      await transport.sendMail({
        from: 'support@example.test',
        to: 'b@customer.example',
        subject: 'ok',
        text: 'y',
      });
    } finally {
      transport.close();
    }
    const messages = await sink.waitFor(2);
    expect(messages.map((message) => message.parsed.subject)).toEqual([
      'Re: 【至急】請求書の件について',
      'ok',
    ]);
  });

  it('a sink started stalled hangs the client until stop() cuts the connection', async () => {
    const dead = await startSmtpSink({ stall: true });
    const transport = nodemailer.createTransport({
      host: dead.host,
      port: dead.port,
      secure: false,
      ignoreTLS: true,
      socketTimeout: 30_000,
    });
    const sending = transport.sendMail({ from: 'support@example.test', to: 'c@customer.example', text: 'z' });
    sending.catch(() => {});
    // Once the client has handed over the whole message, pull the plug.
    await eventually(() => dead.stalledCount() === 1, { what: 'the stalled sink to read the message' });
    const started = performance.now();
    await dead.stop();
    await expect(sending).rejects.toBeInstanceOf(Error);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(dead.messages).toHaveLength(0);
    transport.close();
  });
});
