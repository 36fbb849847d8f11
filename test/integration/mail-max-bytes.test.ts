import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mail, waitForCase } from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

const mailMaxBytes = 200 * 1024;

/** A 1 MB mail: a short text part, then a large attachment. */
function bigMail(): string {
  const attachment = Buffer.alloc(760 * 1024, 7).toString('base64');
  return [
    'From: big@contoso.co.jp',
    'To: support@example.test',
    'Subject: 大きなログを送ります',
    'Message-ID: <big-1@contoso.co.jp>',
    'Date: Wed, 25 Nov 2026 10:00:00 +0900',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'サインインできません。ネットワークのキャプチャを添付します。',
    '--b1',
    'Content-Type: application/octet-stream; name="capture.pcap"',
    'Content-Disposition: attachment; filename="capture.pcap"',
    'Content-Transfer-Encoding: base64',
    '',
    ...(attachment.match(/.{1,76}/g) ?? []),
    '--b1--',
    '',
  ].join('\r\n');
}

const normal = (n: number) =>
  mail({
    from: `user${n}@contoso.co.jp`,
    subject: `通常のお問い合わせ ${n}`,
    body: `問い合わせ本文 ${n}`,
    messageId: `<normal-${n}@contoso.co.jp>`,
  });

describe('MAIL_MAX_BYTES: a mail larger than the limit opens its case from its headers and first text part', () => {
  let p: ProductUnderTest;
  let client: pg.Client;

  const caseBySubject = (needle: string) => waitForCase(p, needle, { timeoutMs: 20_000 });

  beforeAll(async () => {
    p = await startProduct(
      { MAIL_MAX_BYTES: String(mailMaxBytes) },
      {},
      {
        beforeStart: async (mailbox) => {
          await mailbox.append(normal(1));
          await mailbox.append(bigMail());
          await mailbox.append(normal(2));
          await mailbox.append(normal(3));
        },
      },
    );
    client = new pg.Client({ connectionString: p.db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await p?.stop();
  });

  it('makes every mail a case; the big one with its subject, first text and size, stored once and cut', async () => {
    const big = await caseBySubject('大きなログ');
    const message = big.messages[0]!;
    expect(message.text).toContain('サインインできません');
    expect(message.text).toContain('MAIL_MAX_BYTES');
    const original = message.attachments.find((a) => a.filename === 'original mail')!;
    expect(original.size).toBeGreaterThan(1_000_000);
    expect(original.omittedReason).toBe(
      `mail larger than MAIL_MAX_BYTES (${original.size} bytes): kept in the mailbox`,
    );
    const pcap = message.attachments.find((a) => a.filename === 'capture.pcap')!;
    expect(pcap.size).toBeGreaterThan(760 * 1024);
    expect(pcap.omittedReason).toMatch(/MAIL_MAX_BYTES/);

    for (const n of [1, 2, 3]) {
      const kase = await caseBySubject(`通常のお問い合わせ ${n}`);
      expect(kase.messages[0]!.attachments).toEqual([]);
    }
    // The normal ones are acknowledged (the big one too: it is a case like any other).
    await p.sink.waitFor(4, 20_000);

    const rows = (
      await client.query<{ uid: string; size: number; cut: boolean; stored: number; state: string }>(
        'select uid, size, cut, octet_length(bytes) as stored, state from raw_mails order by uid',
      )
    ).rows;
    expect(rows.map((r) => r.uid)).toEqual(['1', '2', '3', '4']);
    const cut = rows.find((r) => r.uid === '2')!;
    expect(cut).toMatchObject({ cut: true, state: 'ingested' });
    expect(cut.size).toBe(original.size);
    expect(cut.stored).toBeLessThan(mailMaxBytes);
    for (const r of rows.filter((x) => x.uid !== '2')) expect(r.cut).toBe(false);
    const checkpoint = await client.query<{ last_uid: string }>('select last_uid from mailbox_state');
    expect(checkpoint.rows[0]!.last_uid).toBe('4');
  });

  it('keeps reading the mailbox after the big mail: a later mail is a case too, and nothing is fetched twice', async () => {
    await p.mailbox.append(normal(4));
    await caseBySubject('通常のお問い合わせ 4');
    const rows = (await client.query<{ uid: string }>('select uid from raw_mails order by uid')).rows;
    expect(rows.map((r) => r.uid)).toEqual(['1', '2', '3', '4', '5']);
  });
});
