import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { availableParallelism } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { makeAppCertificate } from '../support/app-certificate.js';

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('loadConfig accepted the environment');
}

const names = (problems: string[]) => problems.map((p) => p.slice(0, p.indexOf(':')));

describe('loadConfig: defaults', () => {
  it('an empty environment gives the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      databaseUrl: undefined,
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: 'csp',
      imap: undefined,
      smtp: undefined,
      supportAddress: 'support@localhost',
      port: 3000,
      host: '0.0.0.0',
      adminApiToken: undefined,
      adminEmail: undefined,
      adminPassword: undefined,
      chatIdentitySecret: undefined,
      chatAllowedOrigins: [],
      secretKeys: undefined,
      agentReplyTokenDays: 30,
      role: 'all',
      dataDir: '.data',
      embeddedPgPort: 54329,
      logLevel: 'info',
      autoReplyLimitPerHour: 5,
      attachmentMaxBytes: 10 * 1024 * 1024,
      imapPollSeconds: 30,
      imapStallSeconds: 20,
      imapFetchBatch: 100,
      workerConcurrency: 16,
      // One core stays with the main thread; at least one parse thread, at most two.
      mailParseThreads: Math.max(1, Math.min(2, availableParallelism() - 1)),
      dryRunThreads: Math.min(4, availableParallelism()),
      serviceHealthUrl: undefined,
      serviceHealthToken: undefined,
      serviceHealthPollSeconds: 300,
      chatTranscriptAfterSeconds: 300,
      chatDemoSignIn: false,
      triageLearnedOpinion: true,
      chatLimits: {
        messagesPerMinutePerIp: 120,
        messagesPer10sPerConnection: 20,
        connectionsPerMinutePerIp: 60,
      },
      authservId: undefined,
      trustProxy: false,
      mailMaxBytes: 41_943_040,
      attachmentsMaxBytesPerMail: 26_214_400,
      autoReplyLimitPerHourAll: 500,
      chatSessionIdleDays: 30,
      graphPollSeconds: 5,
    });
  });

  it('reads TRUST_PROXY as a hop count or a list of addresses, and refuses anything else', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16' }).trustProxy).toEqual([
      '10.0.0.1',
      '192.168.0.0/16',
    ]);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).trustProxy).toEqual(['loopback']);
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.300/8' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ AUTHSERV_ID: 'mx.partner.example; dmarc=pass' })).toThrow(/AUTHSERV_ID/);
  });

  it('treats empty strings and undefined as unset', () => {
    const c = loadConfig({ PORT: '', ROLE: '', REDIS_URL: '', ADMIN_EMAIL: '', DATABASE_URL: undefined });
    expect(c.port).toBe(3000);
    expect(c.role).toBe('all');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.adminEmail).toBe(undefined);
  });

  it('returns a frozen object', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('reads the variables it is given', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgresql://intake:pw@db.example.test:5432/intake',
      REDIS_URL: 'rediss://cache.example.test:6380',
      REDIS_PREFIX: 'csp-test.1',
      SUPPORT_ADDRESS: 'Support@Example.TEST',
      PORT: '8080',
      ROLE: 'worker',
      ADMIN_API_TOKEN: '0123456789abcdef',
      ADMIN_EMAIL: 'admin@example.test',
      ADMIN_PASSWORD: 'correct horse',
      CHAT_ALLOWED_ORIGINS: ' https://a.example.test , ,https://b.example.test',
      LOG_LEVEL: 'debug',
      AUTO_REPLY_LIMIT_PER_HOUR: '3',
      WORKER_CONCURRENCY: '2',
      MAIL_PARSE_THREADS: '0',
      DRY_RUN_THREADS: '0',
    });
    expect(c.databaseUrl).toBe('postgresql://intake:pw@db.example.test:5432/intake');
    expect(c.redisUrl).toBe('rediss://cache.example.test:6380');
    expect(c.redisPrefix).toBe('csp-test.1');
    expect(c.supportAddress).toBe('support@example.test');
    expect(c.port).toBe(8080);
    expect(c.role).toBe('worker');
    expect(c.adminApiToken).toBe('0123456789abcdef');
    expect(c.adminEmail).toBe('admin@example.test');
    expect(c.adminPassword).toBe('correct horse');
    expect(c.chatAllowedOrigins).toEqual(['https://a.example.test', 'https://b.example.test']);
    expect(c.logLevel).toBe('debug');
    expect(c.autoReplyLimitPerHour).toBe(3);
    expect(c.workerConcurrency).toBe(2);
    expect(c.mailParseThreads).toBe(0);
    expect(c.dryRunThreads).toBe(0);
  });

  it('accepts PORT 0 and 65535', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
  });
});

describe('loadConfig: every bad variable is reported by name', () => {
  it.each([
    ['DATABASE_URL', 'mysql://db.example.test/intake'],
    ['REDIS_URL', 'http://cache.example.test'],
    ['REDIS_URL', 'not a url'],
    ['IMAP_URL', 'pop3://mail.example.test'],
    ['SMTP_URL', 'https://relay.example.test'],
    ['PORT', 'abc'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['ROLE', 'boss'],
    ['ADMIN_API_TOKEN', 'short'],
    ['ADMIN_API_TOKEN', '0123456789abcde'],
    ['SUPPORT_ADDRESS', 'not-an-address'],
    ['REDIS_PREFIX', 'has space'],
    ['LOG_LEVEL', 'loud'],
    ['WORKER_CONCURRENCY', '0'],
    ['MAIL_PARSE_THREADS', '-1'],
    ['IMAP_STALL_SECONDS', '0'],
    ['MAIL_PARSE_THREADS', 'many'],
    ['DRY_RUN_THREADS', '-1'],
    ['DRY_RUN_THREADS', '65'],
    ['SECRET_KEY', 'too-short'],
    ['SECRET_KEY', 'a-new-key-of-enough-length-0123456789,short'],
    ['SUPPORT_ADDRESS', 'support+desk@example.test'],
    ['SUPPORT_ADDRESS', 'Desk <not-an-address>'],
    ['AGENT_REPLY_TOKEN_DAYS', '0'],
  ])('%s=%j', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(names(problems)).toEqual([name]);
  });

  it('reads SUPPORT_ADDRESS with a display name, and SECRET_KEY as a list of keys, newest first', () => {
    const c = loadConfig({
      SUPPORT_ADDRESS: 'パートナー株式会社 サポートデスク <Support@Partner.example>',
      SECRET_KEY: ' new-key-0123456789abcdef0123456789 , old-key-0123456789abcdef0123456789',
      AGENT_REPLY_TOKEN_DAYS: '7',
    });
    expect(c.supportAddress).toBe('support@partner.example');
    expect(c.supportName).toBe('パートナー株式会社 サポートデスク');
    expect(c.secretKeys).toEqual([
      'new-key-0123456789abcdef0123456789',
      'old-key-0123456789abcdef0123456789',
    ]);
    expect(c.agentReplyTokenDays).toBe(7);
    expect(loadConfig({ SUPPORT_ADDRESS: '"Desk" <desk@example.test>' }).supportName).toBe('Desk');
    expect(loadConfig({ SUPPORT_ADDRESS: 'desk@example.test' }).supportName).toBeUndefined();
  });

  it('explains the URL scheme it wanted', () => {
    expect(problemsOf({ REDIS_URL: 'http://cache.example.test' })).toEqual([
      'REDIS_URL: must be a Redis URL (redis:// or rediss://)',
    ]);
  });

  it('names ROLE with the allowed values', () => {
    expect(problemsOf({ ROLE: 'boss' })).toEqual(['ROLE: must be one of all, api, worker, intake']);
  });

  it('needs ADMIN_PASSWORD when ADMIN_EMAIL is set', () => {
    expect(problemsOf({ ADMIN_EMAIL: 'admin@example.test' })).toEqual([
      'ADMIN_PASSWORD: required when ADMIN_EMAIL is set',
    ]);
  });

  it('needs a user in IMAP_URL', () => {
    expect(problemsOf({ IMAP_URL: 'imaps://imap.example.test/INBOX' })).toEqual([
      'IMAP_URL: must name a user (imap://user:password@host/MAILBOX)',
    ]);
  });

  it('reports several schema problems at once', () => {
    const problems = problemsOf({
      REDIS_URL: 'http://cache.example.test',
      PORT: 'abc',
      ROLE: 'boss',
      ADMIN_API_TOKEN: 'short',
    });
    expect(names(problems).sort()).toEqual(['ADMIN_API_TOKEN', 'PORT', 'REDIS_URL', 'ROLE']);
  });

  it('the message of the error lists the problems', () => {
    expect(() => loadConfig({ PORT: 'abc', ROLE: 'boss' })).toThrow(/PORT: .*; ROLE: /);
  });

  // Regression (fixed): the cross-variable checks (ADMIN_PASSWORD, IMAP_URL user) only run once the schema passed,
  // so they are missing from a report that also has a schema problem.
  it('reports the ADMIN_EMAIL/ADMIN_PASSWORD and IMAP_URL problems together with schema problems', () => {
    const problems = problemsOf({
      PORT: 'abc',
      ROLE: 'boss',
      ADMIN_EMAIL: 'admin@example.test',
      IMAP_URL: 'imap://imap.example.test/INBOX',
    });
    expect(names(problems).sort()).toEqual(['ADMIN_PASSWORD', 'IMAP_URL', 'PORT', 'ROLE']);
  });

  // Regression (fixed): decodeURIComponent throws URIError("URI malformed") for a stray "%", which escapes as a
  // plain URIError that names no variable.
  it.each([
    ['IMAP_URL', 'imap://support:50%off@imap.example.test/INBOX'],
    ['SMTP_URL', 'smtp://relay-user:50%off@smtp.example.test'],
  ])('reports a badly percent-encoded %s as a ConfigError naming it', (name, value) => {
    expect(names(problemsOf({ [name]: value }))).toEqual([name]);
  });

  it('never puts a secret value into a problem message', () => {
    const problems = problemsOf({
      ADMIN_API_TOKEN: 'hunter2',
      SECRET_KEY: 'tiny-secret',
      ADMIN_PASSWORD: 'pw',
    });
    const text = problems.join('\n');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('tiny-secret');
    expect(names(problems).sort()).toEqual(['ADMIN_API_TOKEN', 'ADMIN_PASSWORD', 'SECRET_KEY']);
  });
});

describe('loadConfig: IMAP_URL and SMTP_URL', () => {
  it('decodes a %40 user, the password and a mailbox path; imaps defaults to port 993', () => {
    const c = loadConfig({
      IMAP_URL: 'imaps://support%40example.test:S3cr%40t-Pw!@imap.example.test/Support/Inbound',
    });
    expect(c.imap).toEqual({
      tls: 'implicit',
      auth: 'password',
      host: 'imap.example.test',
      port: 993,
      user: 'support@example.test',
      password: 'S3cr@t-Pw!',
      mailbox: 'Support/Inbound',
      key: 'support@example.test@imap.example.test:993/Support/Inbound',
    });
  });

  it('imap defaults to port 143 and mailbox INBOX', () => {
    const c = loadConfig({ IMAP_URL: 'imap://intake:pw-123@imap.example.test' });
    expect(c.imap?.tls).toBe('starttls');
    expect(c.imap?.port).toBe(143);
    expect(c.imap?.mailbox).toBe('INBOX');
    expect(c.imap?.key).toBe('intake@imap.example.test:143/INBOX');
  });

  it('keeps an explicit port and decodes an encoded mailbox name', () => {
    const c = loadConfig({
      IMAP_URL: 'imaps://intake:pw-123@imap.example.test:1993/%E3%82%B5%E3%83%9D%E3%83%BC%E3%83%88',
    });
    expect(c.imap?.port).toBe(1993);
    expect(c.imap?.mailbox).toBe('サポート');
    expect(c.imap?.key).toBe('intake@imap.example.test:1993/サポート');
  });

  it('the mailbox key never contains the password', () => {
    for (const url of [
      'imaps://support%40example.test:Pa55-w0rd-XYZ@imap.example.test/Support',
      'imap://intake:Pa55-w0rd-XYZ@imap.example.test:1143',
      'imaps://intake:Pa55%2Dw0rd%2DXYZ@imap.example.test/INBOX',
    ]) {
      const key = loadConfig({ IMAP_URL: url }).imap?.key;
      expect(key, url).toBeTypeOf('string');
      expect(key, url).not.toContain('Pa55');
    }
  });

  it('parses SMTP_URL with smtps default port 465 and smtp default port 25', () => {
    expect(loadConfig({ SMTP_URL: 'smtps://relay%40example.test:pw@smtp.example.test' }).smtp).toEqual({
      tls: 'implicit',
      auth: 'password',
      host: 'smtp.example.test',
      port: 465,
      user: 'relay@example.test',
      password: 'pw',
    });
    expect(loadConfig({ SMTP_URL: 'smtp://relay.example.test' }).smtp).toEqual({
      tls: 'starttls',
      auth: 'password',
      host: 'relay.example.test',
      port: 25,
      user: undefined,
      password: undefined,
    });
  });
});

describe('loadConfig: transport security of IMAP_URL and SMTP_URL', () => {
  it('imap:// and smtp:// upgrade with STARTTLS; imaps:// and smtps:// are implicit TLS', () => {
    const c = loadConfig({
      IMAP_URL: 'imap://intake:pw@imap.example.test/INBOX',
      SMTP_URL: 'smtp://relay:pw@smtp.office365.com:587',
    });
    expect(c.imap?.tls).toBe('starttls');
    expect(c.smtp).toEqual({
      tls: 'starttls',
      auth: 'password',
      host: 'smtp.office365.com',
      port: 587,
      user: 'relay',
      password: 'pw',
    });
    const s = loadConfig({
      IMAP_URL: 'imaps://intake:pw@imap.example.test/INBOX',
      SMTP_URL: 'smtps://relay:pw@smtp.example.test',
    });
    expect(s.imap?.tls).toBe('implicit');
    expect(s.smtp?.tls).toBe('implicit');
  });

  it.each([
    'imap://intake:pw@127.0.0.1:1143/Support?tls=off',
    'imap://intake:pw@127.45.6.7/INBOX?tls=off',
    'imap://intake:pw@[::1]:1143/INBOX?tls=off',
    'imap://intake:pw@localhost:1143/INBOX?tls=off',
  ])('?tls=off is plain text for a mailbox on loopback: %s', (url) => {
    const c = loadConfig({ IMAP_URL: url });
    expect(c.imap?.tls).toBe('off');
    // The query is no part of the mailbox name or its key.
    expect(c.imap?.mailbox).not.toContain('tls');
    expect(c.imap?.key).not.toContain('tls');
  });

  it('?tls=off on a loopback relay: plain text, the rest as usual', () => {
    expect(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525?tls=off' }).smtp).toEqual({
      tls: 'off',
      auth: 'password',
      host: '127.0.0.1',
      port: 2525,
      user: undefined,
      password: undefined,
    });
  });

  it('gives an IPv6 host to the drivers without the brackets a URL writes around it', () => {
    const c = loadConfig({
      IMAP_URL: 'imap://intake:pw@[::1]:1143/INBOX?tls=off',
      SMTP_URL: 'smtp://[::1]:2525?tls=off',
    });
    expect(c.imap?.host).toBe('::1');
    expect(c.smtp?.host).toBe('::1');
  });

  it.each([
    ['IMAP_URL', 'imap://intake:pw@imap.example.test/INBOX?tls=off'],
    ['IMAP_URL', 'imap://intake:pw@10.0.0.5/INBOX?tls=off'],
    ['IMAP_URL', 'imap://intake:pw@[::2]/INBOX?tls=off'],
    ['SMTP_URL', 'smtp://relay:pw@smtp.office365.com:587?tls=off'],
    ['SMTP_URL', 'smtp://192.168.1.10:25?tls=off'],
    ['SMTP_URL', 'smtp://localhost.example.test:25?tls=off'],
    // The root dot sends the name to DNS rather than the hosts file.
    ['SMTP_URL', 'smtp://relay:pw@localhost.:25?tls=off'],
    ['IMAP_URL', 'imap://intake:pw@127.0.0.1.evil.example/INBOX?tls=off'],
  ])('?tls=off on a host that is not loopback is a configuration error naming %s', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(names(problems)).toEqual([name]);
    expect(problems[0]).toMatch(/tls=off.*loopback/);
    // The password never appears in the message.
    expect(problems[0]).not.toContain(':pw@');
  });

  it.each([
    ['IMAP_URL', 'imaps://intake:pw@127.0.0.1/INBOX?tls=off'],
    ['SMTP_URL', 'smtps://127.0.0.1?tls=off'],
    ['SMTP_URL', 'smtp://127.0.0.1?tls=maybe'],
    ['IMAP_URL', 'imap://intake:pw@127.0.0.1/INBOX?tls=no'],
  ])('a tls value other than off, or off with implicit TLS, is an error naming %s', (name, value) => {
    expect(names(problemsOf({ [name]: value }))).toEqual([name]);
  });

  it('reports ?tls=off on a public host together with other problems', () => {
    const problems = problemsOf({
      PORT: 'abc',
      IMAP_URL: 'imap://intake:pw@imap.example.test/INBOX?tls=off',
      SMTP_URL: 'smtp://smtp.example.test?tls=off',
    });
    expect(names(problems).sort()).toEqual(['IMAP_URL', 'PORT', 'SMTP_URL']);
  });
});

describe('loadConfig: Microsoft 365 mailboxes (?auth=xoauth2)', () => {
  const ms = {
    MS_TENANT_ID: 'contoso.onmicrosoft.com',
    MS_CLIENT_ID: '66666666-7777-4888-9999-000000000000',
    MS_CLIENT_SECRET: 'app-secret-value',
  };

  it('logs in with app-only tokens from the Entra app named by MS_*', () => {
    const c = loadConfig({
      IMAP_URL: 'imaps://support%40partner.example@outlook.office365.com/INBOX?auth=xoauth2',
      SMTP_URL: 'smtp://support%40partner.example@smtp.office365.com:587?auth=xoauth2',
      ...ms,
    });
    expect(c.imap).toMatchObject({
      auth: 'xoauth2',
      user: 'support@partner.example',
      password: '',
      tls: 'implicit',
    });
    expect(c.smtp).toMatchObject({ auth: 'xoauth2', user: 'support@partner.example', tls: 'starttls' });
    expect(c.microsoft).toEqual({
      tenantId: 'contoso.onmicrosoft.com',
      clientId: ms.MS_CLIENT_ID,
      clientSecret: 'app-secret-value',
      loginUrl: 'https://login.microsoftonline.com',
      graphUrl: 'https://graph.microsoft.com/v1.0',
    });
  });

  it('refuses xoauth2 without the app, with a password, an unknown auth, or a token service over http', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(
      names(problems({ IMAP_URL: 'imaps://u%40p.example@outlook.office365.com/INBOX?auth=xoauth2' })),
    ).toEqual(['MS_TENANT_ID', 'MS_CLIENT_ID', 'MS_CLIENT_SECRET']);
    expect(
      problems({ IMAP_URL: 'imaps://u%40p.example:pw@outlook.office365.com/INBOX?auth=xoauth2', ...ms })[0],
    ).toMatch(/^IMAP_URL: with \?auth=xoauth2 the URL names the mailbox user only, no password/);
    expect(problems({ SMTP_URL: 'smtp://u@smtp.office365.com:587?auth=oauth', ...ms })[0]).toMatch(
      /^SMTP_URL: auth may only be "xoauth2"/,
    );
    expect(names(problems({ ...ms, MS_LOGIN_URL: 'http://login.example' }))).toEqual(['MS_LOGIN_URL']);
    expect(names(problems({ ...ms, MS_CLIENT_ID: 'not-a-guid' }))).toEqual(['MS_CLIENT_ID']);
  });
});

describe('loadConfig: a Microsoft 365 mailbox through Graph (GRAPH_MAILBOX)', () => {
  const ms = {
    MS_TENANT_ID: 'contoso.onmicrosoft.com',
    MS_CLIENT_ID: '66666666-7777-4888-9999-000000000000',
    MS_CLIENT_SECRET: 'app-secret-value',
  };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  it('reads and answers the mailbox, which is also the support address unless SUPPORT_ADDRESS names another', () => {
    const c = loadConfig({ GRAPH_MAILBOX: 'Support@Partner.example', ...ms });
    expect(c.graphMailbox).toEqual({
      address: 'support@partner.example',
      key: 'graph:support@partner.example',
      pollSeconds: 5,
    });
    expect(c.supportAddress).toBe('support@partner.example');
    const named = loadConfig({
      GRAPH_MAILBOX: 'support@partner.example',
      SUPPORT_ADDRESS: 'サポートデスク <desk@partner.example>',
      GRAPH_POLL_SECONDS: '2',
      ...ms,
    });
    expect(named.supportAddress).toBe('desk@partner.example');
    expect(named.supportName).toBe('サポートデスク');
    expect(named.graphMailbox?.pollSeconds).toBe(2);
  });

  it('refuses it without the Entra app, beside IMAP_URL or SMTP_URL, or when it is no address', () => {
    expect(names(problems({ GRAPH_MAILBOX: 'support@partner.example' }))).toEqual([
      'MS_TENANT_ID',
      'MS_CLIENT_ID',
      'MS_CLIENT_SECRET',
    ]);
    expect(
      names(
        problems({
          GRAPH_MAILBOX: 'support@partner.example',
          IMAP_URL: 'imaps://u:p@imap.example.test/INBOX',
          SMTP_URL: 'smtps://u:p@smtp.example.test',
          ...ms,
        }),
      ),
    ).toEqual(['IMAP_URL', 'SMTP_URL']);
    expect(names(problems({ GRAPH_MAILBOX: 'not an address', ...ms }))).toEqual(['GRAPH_MAILBOX']);
  });
});

describe('loadConfig: an Entra app with a certificate (MS_CLIENT_CERTIFICATE_FILE)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'config-cert-'));
  const app = makeAppCertificate(dir, 'app');
  const base = path.join(dir, 'app');
  const pemFile = app.file;
  const ms = {
    GRAPH_MAILBOX: 'support@partner.example',
    MS_TENANT_ID: 'contoso.onmicrosoft.com',
    MS_CLIENT_ID: '66666666-7777-4888-9999-000000000000',
  };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the certificate, its key and its SHA-256 thumbprint', () => {
    const c = loadConfig({ ...ms, MS_CLIENT_CERTIFICATE_FILE: pemFile });
    const der = new X509Certificate(readFileSync(`${base}.crt`)).raw;
    expect(c.microsoft?.certificate?.thumbprintSha256).toBe(createHash('sha256').update(der).digest('hex'));
    expect(c.microsoft?.certificate?.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(c.microsoft?.clientSecret).toBeUndefined();
  });

  it('refuses a file it cannot read or use, and a secret beside it', () => {
    expect(problems({ ...ms, MS_CLIENT_CERTIFICATE_FILE: path.join(dir, 'missing.pem') })[0]).toMatch(
      /^MS_CLIENT_CERTIFICATE_FILE: cannot read/,
    );
    writeFileSync(path.join(dir, 'cert-only.pem'), readFileSync(`${base}.crt`));
    expect(problems({ ...ms, MS_CLIENT_CERTIFICATE_FILE: path.join(dir, 'cert-only.pem') })[0]).toMatch(
      /^MS_CLIENT_CERTIFICATE_FILE: must be a PEM file/,
    );
    expect(names(problems({ ...ms, MS_CLIENT_CERTIFICATE_FILE: pemFile, MS_CLIENT_SECRET: 's' }))).toEqual([
      'MS_CLIENT_CERTIFICATE_FILE',
    ]);
    expect(problems(ms)).toEqual([
      'MS_CLIENT_SECRET: required (or MS_CLIENT_CERTIFICATE_FILE) when GRAPH_MAILBOX is set',
    ]);
  });
});
