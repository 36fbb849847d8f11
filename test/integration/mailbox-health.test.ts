import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { type Runtime, startRuntime } from '../../src/runtime.js';
import { type DovecotServer, startDovecot } from '../support/dovecot.js';
import { captureLogs, type LogCapture } from '../support/log-capture.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// A mailbox that cannot be opened is never silent: /readyz names it with a short code, the log has one error
// line saying why in plain words, and it comes back to ok by itself once the cause is fixed.

describe('mailbox health', () => {
  let dovecot: DovecotServer;
  let p: ProductUnderTest | null = null;
  let second: Runtime | null = null;

  beforeAll(async () => {
    dovecot = await startDovecot();
  });

  afterAll(async () => {
    await dovecot?.stop();
  });

  afterEach(async () => {
    await second?.stop();
    second = null;
    await p?.stop();
    p = null;
  });

  const readyz = async () => {
    const res = await fetch(`${p!.url}/readyz`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
  };

  const intakeLines = (logs: LogCapture, minLevel: number) =>
    logs.lines.filter((l) => l.level >= minLevel && l.component === 'imap-intake');

  it('a wrong IMAP password: 503 with imap login_refused and one error line; ok once the password is right', async () => {
    const user = 'intake@example.test';
    const password = 'right-password-4711';
    await dovecot.setUser(user, 'an-older-password');
    const logs = captureLogs();
    const imapUrl = `imap://${encodeURIComponent(user)}:${password}@127.0.0.1:${dovecot.port}/INBOX?tls=off`;
    p = await startProduct({ LOG_LEVEL: 'debug' }, {}, { imapUrl: () => imapUrl, logTo: logs.destination });

    const refused = await p.eventually(
      async () => {
        const r = await readyz();
        return r.body.checks.imap === 'login_refused' ? r : null;
      },
      20_000,
      'imap: login_refused',
    );
    expect(refused.status).toBe(503);
    // A second attempt fails the same way: logged at debug, not as another error line.
    await p.eventually(
      async () => logs.lines.some((l) => l.msg === 'mailbox still unavailable'),
      20_000,
      'a second failed login',
    );
    const errors = intakeLines(logs, 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.mailbox).toBe(`${user}@127.0.0.1:${dovecot.port}/INBOX`);
    expect(errors[0]!.state).toBe('login_refused');
    expect(errors[0]!.msg).toMatch(/login refused.*user name or password/);
    expect(logs.text()).not.toContain(password);
    // Nothing about the login at warn either: the one error line says it all.
    expect(intakeLines(logs, 40)).toHaveLength(1);

    // The password is put right on the server: the intake recovers without a restart.
    await dovecot.setUser(user, password);
    const ok = await p.eventually(
      async () => {
        const r = await readyz();
        return r.body.checks.imap === 'ok' ? r : null;
      },
      45_000,
      'imap: ok',
    );
    expect(ok.status).toBe(200);
    expect(logs.lines.some((l) => l.msg === 'mailbox reachable again' && l.was === 'login_refused')).toBe(
      true,
    );
  });

  it('a folder that does not exist: imap mailbox_missing with an error line naming it', async () => {
    const logs = captureLogs();
    p = await startProduct(
      {},
      {},
      {
        imapUrl: (mailbox) => mailbox.imapUrl.replace(`/${mailbox.path}?`, `/${mailbox.path}-gone?`),
        logTo: logs.destination,
      },
    );
    const r = await p.eventually(
      async () => {
        const r = await readyz();
        return r.body.checks.imap === 'mailbox_missing' ? r : null;
      },
      20_000,
      'imap: mailbox_missing',
    );
    expect(r.status).toBe(503);
    const errors = await p.eventually(async () => {
      const e = intakeLines(logs, 50);
      return e.length ? e : null;
    });
    expect(errors[0]!.msg).toContain(`${p.mailbox.path}-gone`);
  });

  it('a second intake on the same mailbox says once, at info, that it waits', async () => {
    const first = captureLogs();
    p = await startProduct({ LOG_LEVEL: 'info' }, {}, { logTo: first.destination });
    // The first intake holds the mailbox.
    await p.eventually(
      async () => first.lines.some((l) => l.msg === 'mailbox open'),
      20_000,
      'the first intake',
    );
    const logs = captureLogs();
    second = await startRuntime(
      loadConfig({ ...p.env, ROLE: 'intake', LOG_LEVEL: 'debug' }),
      createLogger('debug', logs.destination),
    );
    // Wait for a retry, so "once" means once and not "not yet twice".
    await p.eventually(
      async () => logs.lines.filter((l) => /held by another intake process/.test(l.msg)).length >= 2,
      20_000,
      'a retry of the second intake',
    );
    const said = logs.lines.filter((l) => l.msg === 'mailbox held by another intake process, waiting');
    expect(said).toHaveLength(1);
    expect(said[0]!.level).toBe(30);
    expect(said[0]!.mailbox).toBe(loadConfig(p.env).imap!.key);
  });
});
