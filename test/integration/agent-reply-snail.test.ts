import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAgent, notificationsTo } from '../support/agents.js';
import { addContoso, getCase, mail, sendsSettled, waitForCase } from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// A real mail client answers a notification: s-nail (Debian's mailx) reads the notification from an mbox,
// replies to it (honouring its Reply-To, quoting it as s-nail does) and submits the reply over SMTP to a
// peer that delivers into the support mailbox, where the product's intake picks it up.

const kato = 'kato@partner.example';
const customer = 'taro@contoso.co.jp';

/** An SMTP peer that stores every mail it accepts into the mailbox, as the partner's mail server would. */
async function startMailboxPeer(p: ProductUnderTest): Promise<{ url: string; close(): Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.once('end', () => {
        p.mailbox.append(Buffer.concat(chunks)).then(() => callback(), callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Runs s-nail in batch mode on an mbox: `reply 1`, the answer typed, `~.` to send. */
function snailReply(mbox: string, mta: string, from: string, answer: string, home: string): Promise<string> {
  const args = [
    '-:/', // no system or user resource files
    '-#', // batch mode: commands from standard input
    '-N',
    '-S',
    'v15-compat',
    '-S',
    `mta=${mta}`,
    '-S',
    'smtp-auth=none',
    '-S',
    `from=${from}`,
    '-S',
    'quote', // include the notification, quoted, as most people reply
    '-S',
    'reply-to-honour=yes',
    '-S',
    'ttycharset=utf-8',
    '-S',
    'sendcharsets=utf-8',
    '-S',
    `DEAD=${join(home, 'dead.letter')}`,
    '-f',
    mbox,
  ];
  return new Promise((resolve, reject) => {
    const child = execFile(
      's-nail',
      args,
      { env: { ...process.env, HOME: home, LC_ALL: 'C.UTF-8' }, timeout: 20_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`s-nail failed: ${err.message} ${stderr}`)) : resolve(stdout),
    );
    child.stdin!.end(`reply 1\n${answer}\n~.\n`);
  });
}

describe('an agent answers with a real mail client (s-nail)', () => {
  let p: ProductUnderTest;
  let peer: { url: string; close(): Promise<void> };
  let home: string;

  beforeAll(async () => {
    p = await startProduct({
      SECRET_KEY: 'reply-token-signing-key-for-tests-0123456789',
      SUPPORT_ADDRESS: 'パートナー株式会社 サポートデスク <support@example.test>',
    });
    peer = await startMailboxPeer(p);
    home = await mkdtemp(join(tmpdir(), 'snail-'));
    await addContoso(p);
    await addAgent(p, { email: kato, name: '加藤 恵', locale: 'ja' });
  });

  afterAll(async () => {
    await peer?.close();
    await p?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('the customer receives exactly the words typed in s-nail, threaded under their mail', async () => {
    const customerId = `<snail-${Date.now()}@contoso.co.jp>`;
    await p.mailbox.append(
      mail({
        from: `山田 太郎 <${customer}>`,
        subject: 'Exchange Online の共有メールボックスが開けません',
        body: '共有メールボックスを開くとエラーになります。',
        messageId: customerId,
      }),
    );
    const c = await waitForCase(p, 'Exchange Online の共有メールボックス', {
      until: (x) => x.triage.some((t) => t.step === 'reply') && sendsSettled(x),
      timeoutMs: 20_000,
    });
    const n = await p.eventually(async () => notificationsTo(p, kato)[0], 20_000, 'the notification');
    const mbox = join(home, 'notification.mbox');
    const body = n.raw
      .toString('utf8')
      .replace(/\r\n/g, '\n')
      .replace(/^From /gm, '>From ');
    await writeFile(mbox, `From support@example.test Tue Dec  1 10:00:00 2026\n${body}\n`);
    const before = p.sink.messages.filter((m) => m.envelopeTo.includes(customer)).length;

    await snailReply(
      mbox,
      peer.url,
      `加藤 恵 <${kato}>`,
      'フルアクセス権を付け直しました。\nOutlook を再起動してください。',
      home,
    );

    const answer = await p.eventually(
      async () => p.sink.messages.filter((m) => m.envelopeTo.includes(customer))[before],
      20_000,
      'the answer to the customer',
    );
    expect(answer.parsed.text?.trim()).toBe(
      'フルアクセス権を付け直しました。\nOutlook を再起動してください。',
    );
    expect(answer.parsed.inReplyTo).toBe(customerId);
    expect(answer.parsed.from?.value[0]).toEqual({
      address: 'support@example.test',
      name: 'パートナー株式会社 サポートデスク',
    });
    expect(answer.parsed.subject).toContain(`[Case #${c.number}]`);
    expect(answer.raw.toString('latin1')).not.toContain(kato);
    const after = (await getCase(p, c.number))!;
    expect(after.messages.filter((m) => m.author === 'agent').map((m) => m.text)).toEqual([
      'フルアクセス権を付け直しました。\nOutlook を再起動してください。',
    ]);
  });
});
