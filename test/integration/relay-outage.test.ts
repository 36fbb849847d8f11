import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueConnection } from '../../src/redis-connection.js';
import { addContoso, mail } from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// A relay that refuses our login is an outage: replies wait and go out once it works again. Only the relay
// refusing this recipient fails a send, which an admin can then send again.

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

interface SendView {
  id: string;
  caseNumber: number;
  template: string | null;
  channel: string;
  to: string;
  status: string;
  error: string | null;
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
}

describe('relay trouble is an outage, a refused recipient a verdict', () => {
  let p: ProductUnderTest;
  const lines: LogLine[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const rows = async <T>(query: string) => (await sql.raw<T>(query).execute(p.runtime.db)).rows;
  const readyz = async () => {
    const res = await fetch(`${p.url}/readyz`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
  };
  let outbound: Queue;
  const queueIdle = async () => {
    const c = await outbound.getJobCounts('waiting', 'delayed', 'active', 'failed');
    return (c.waiting ?? 0) + (c.delayed ?? 0) + (c.active ?? 0) === 0 ? c : null;
  };

  beforeAll(async () => {
    p = await startProduct(
      { LOG_LEVEL: 'info' },
      {},
      {
        sink: { auth: true, authRefused: true },
        smtpUrl: (sink) => `smtp://relay-user:relay-pass@${sink.host}:${sink.port}?tls=off`,
        logger: pino({ level: 'info' }, logStream),
      },
    );
    await addContoso(p);
    outbound = new Queue('outbound', {
      connection: queueConnection('redis://127.0.0.1:6379'),
      prefix: p.prefix,
    });
  });

  afterAll(async () => {
    await outbound?.close();
    await p?.stop();
  });

  it('while the relay refuses AUTH nothing fails, /readyz names it, and the waiting replies go out once it accepts', async () => {
    const senders = ['auth-a', 'auth-b', 'auth-c'];
    for (const s of senders)
      await p.mailbox.append(
        mail({
          from: `${s}@contoso.co.jp`,
          subject: `認証拒否中 ${s}`,
          body: 'リレーが認証を拒否しています',
          messageId: `<${s}@contoso.co.jp>`,
        }),
      );
    const notReady = await p.eventually(
      async () => {
        const r = await readyz();
        return r.status === 503 && r.body.checks.smtp === 'relay_auth_failed' ? r : null;
      },
      20_000,
      '/readyz to name the relay',
    );
    expect(notReady.body.checks.smtp).toBe('relay_auth_failed');
    await p.eventually(
      async () => (await rows<{ id: string }>('select id from outbox')).length === senders.length,
      20_000,
      'every acknowledgement to be stored',
    );
    // Let the product probe the relay again, more than once, while every reply waits.
    const attempts = p.sink.authAttempts.length;
    await p.eventually(async () => p.sink.authAttempts.length >= attempts + 2, 30_000, 'two more probes');
    // A probe holds its reply as `sending` for the moment it talks to the relay; then every reply waits.
    const statuses = await p.eventually(
      async () => {
        const now = await rows<{ status: string }>('select status from outbox');
        return now.every((r) => r.status !== 'sending') ? now : null;
      },
      10_000,
      'no probe in flight',
    );
    expect(statuses.map((r) => r.status).sort()).toEqual(['pending', 'pending', 'pending']);
    expect(p.sink.messages).toHaveLength(0);
    // A probe per few seconds, not one login per queued reply and retry.
    expect(p.sink.authAttempts.length).toBeLessThan(attempts + 2 + senders.length * 2);
    const paused = lines.filter((l) => l.state === 'relay_auth_failed');
    expect(paused).toHaveLength(1);
    expect(paused[0]!.level).toBe(50);

    p.sink.setAuthRefused(false);
    await p.sink.waitFor(senders.length, 30_000);
    await p.eventually(
      async () =>
        (await rows<{ status: string }>("select status from outbox where status <> 'sent'")).length === 0,
      15_000,
      'every reply to be recorded as sent',
    );
    await p.eventually(async () => (await readyz()).status === 200, 15_000, '/readyz to be ready again');
    const jobs = await p.eventually(queueIdle, 15_000, 'the outbound queue to be idle');
    expect(jobs.failed).toBe(0);
    const inReplyTo = p.sink.messages.map((m) => m.parsed.inReplyTo).sort();
    expect(inReplyTo).toEqual(senders.map((s) => `<${s}@contoso.co.jp>`).sort());
    expect(lines.filter((l) => l.msg === 'reply sent')).toHaveLength(senders.length);
  });

  it('a 550 to RCPT TO fails that send alone; it is listed with the answer and sent again on retry', async () => {
    p.sink.setAuthRefused(false);
    p.sink.setRejectRecipient('gone@contoso.co.jp');
    const before = p.sink.messages.length;
    for (const s of ['gone', 'here'])
      await p.mailbox.append(
        mail({
          from: `${s}@contoso.co.jp`,
          subject: `宛先拒否 ${s}`,
          body: 'テスト',
          messageId: `<rcpt-${s}@contoso.co.jp>`,
        }),
      );
    await p.sink.waitFor(before + 1, 20_000);
    const [failed] = await p.eventually(
      async () => {
        const r = await rows<{ id: string }>(
          "select id from outbox where to_address = 'gone@contoso.co.jp' and status = 'failed'",
        );
        return r.length ? r : null;
      },
      20_000,
      'the refused send to fail',
    );
    expect(p.sink.messages.slice(before).map((m) => m.envelopeTo)).toEqual([['here@contoso.co.jp']]);

    const list = await p.api<{ items: SendView[]; next: string | null }>('GET', '/api/sends?status=failed');
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    const item = list.body.items[0]!;
    expect(item).toMatchObject({
      id: failed!.id,
      template: 'ack',
      channel: 'email',
      to: 'gone@contoso.co.jp',
      status: 'failed',
      attempts: 1,
    });
    expect(item.caseNumber).toBeGreaterThan(0);
    expect(item.error).toContain('550');
    expect(item.lastAttemptAt).not.toBeNull();
    expect((await p.api('GET', '/api/sends?status=bogus')).status).toBe(400);

    // Pagination: newest first, `before` continues after the last item.
    const page1 = await p.api<{ items: SendView[]; next: string | null }>('GET', '/api/sends?limit=1');
    expect(page1.body.items).toHaveLength(1);
    const page2 = await p.api<{ items: SendView[] }>('GET', `/api/sends?limit=1&before=${page1.body.next}`);
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.items[0]!.id).not.toBe(page1.body.items[0]!.id);

    const metrics = await (await fetch(`${p.url}/metrics`)).text();
    expect(metrics).toMatch(/csp_sends_failed_total\{channel="email"\} 1/);
    const failLine = lines.find((l) => l.msg === 'reply failed' && l.outboxId === failed!.id);
    expect(failLine).toMatchObject({ caseNumber: item.caseNumber, template: 'ack', channel: 'email' });
    expect(failLine!.responseCode).toBe(550);
    expect(failLine!.level).toBeGreaterThanOrEqual(40);

    const sent = await rows<{ id: string }>("select id from outbox where status = 'sent' limit 1");
    expect((await p.api('POST', `/api/sends/${sent[0]!.id}/retry`)).status).toBe(409);
    expect((await p.api('POST', '/api/sends/00000000-0000-4000-8000-000000000000/retry')).status).toBe(404);

    p.sink.setRejectRecipient(null);
    const retried = await p.api('POST', `/api/sends/${failed!.id}/retry`);
    expect(retried.status).toBe(202);
    const received = await p.sink.waitFor(before + 2, 20_000);
    expect(received[before + 1]!.envelopeTo).toEqual(['gone@contoso.co.jp']);
    await p.eventually(
      async () =>
        (await rows<{ status: string }>(`select status from outbox where id = '${failed!.id}'`))[0]
          ?.status === 'sent',
      10_000,
      'the retried send to be recorded',
    );
    const audit = await rows<{ actor: string; action: string }>(
      `select actor, action from audit_log where entity = 'send' and entity_id = '${failed!.id}'`,
    );
    expect(audit).toEqual([{ actor: 'api-token', action: 'retry' }]);
    await p.eventually(queueIdle, 15_000, 'the outbound queue to be idle');
    expect(p.sink.messages.filter((m) => m.envelopeTo.includes('gone@contoso.co.jp'))).toHaveLength(1);
    // No address reaches a log line above debug.
    expect(
      lines.filter((l) => l.msg === 'reply sent' || l.msg === 'reply failed').map((l) => JSON.stringify(l)),
    ).not.toContainEqual(expect.stringContaining('@contoso.co.jp'));
  });
});
