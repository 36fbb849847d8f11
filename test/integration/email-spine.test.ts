import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addContoso, findCase, getCase, mail, sendsSettled, waitForCase } from '../support/factories.js';
import { isMarker, passMarker } from '../support/pipeline-drain.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

describe('email spine: IMAP in, case in Postgres, acknowledgement out by SMTP', () => {
  let p: ProductUnderTest;
  let customerId: string;

  const caseBySubject = (needle: string) => findCase(p, needle);
  // The relay receives a send a moment before the outbox row records it as sent.
  const settled = (which: number | string) =>
    waitForCase(p, which, {
      until: (c) => c.sends.length > 0 && sendsSettled(c),
      timeoutMs: 10_000,
      what: 'every send of the case to be recorded',
    });
  /** The test's own mails at the relay since `from`, leaving out markers. */
  const mailsSince = (from: number) => p.sink.messages.slice(from).filter((m) => !isMarker(m));

  beforeAll(async () => {
    p = await startProduct();
    ({ customerId } = await addContoso(p));
  });

  afterAll(async () => {
    await p?.stop();
  });

  it('turns an ISO-2022-JP Outlook mail with an attachment into a case and a threaded Japanese acknowledgement', async () => {
    const raw = await readFile(
      new URL('../fixtures/mail/outlook-ja-iso2022jp-attachment.eml', import.meta.url),
    );
    await p.mailbox.append(raw);
    const [ack] = await p.sink.waitFor(1, 15_000);
    const parsed = ack!.parsed;
    expect(parsed.subject).toMatch(/^\[Case #\d+\] /);
    const number = Number(/\[Case #(\d+)\]/.exec(parsed.subject ?? '')![1]);
    const kase = (await getCase(p, number))!;
    expect(kase.verified).toBe(true);
    expect(kase.customer?.id).toBe(customerId);
    const inbound = kase.messages.find((m) => m.direction === 'in')!;
    expect(parsed.inReplyTo).toBe(inbound.messageId);
    expect(parsed.references).toContain(inbound.messageId);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(ack!.envelopeTo).toEqual([kase.contact.email]);
    // The four facts a charging partner must state, from the plan, in Japanese.
    expect(parsed.text).toContain('スタンダード サポート (パートナー提供)');
    expect(parsed.text).toContain('24時間365日');
    expect(parsed.text).toContain('03-1234-5678');
    expect(parsed.text).toContain('￥50,000');
    expect(parsed.text).toContain(String(number));
    expect(inbound.attachments.length).toBeGreaterThan(0);
    const done = await settled(number);
    expect(done.sends).toEqual([expect.objectContaining({ template: 'ack', status: 'sent' })]);
  });

  it('joins a reply to its case through In-Reply-To and sends no second acknowledgement', async () => {
    const before = p.sink.messages.length;
    await p.mailbox.append(
      mail({
        from: 'Sato <sato@contoso.co.jp>',
        subject: 'Teams の会議に参加できません',
        body: '会議に参加できません。',
        messageId: '<first-1@contoso.co.jp>',
      }),
    );
    const [ack] = (await p.sink.waitFor(before + 1)).slice(before);
    await p.mailbox.append(
      mail({
        from: 'Sato <sato@contoso.co.jp>',
        subject: `Re: ${ack!.parsed.subject}`,
        body: '追加情報です。エラーコードは 0x80070005 です。\n\n2026年11月25日(水) 10:00 サポート <support@example.test>:\n> 受け付けました',
        messageId: '<reply-1@contoso.co.jp>',
        inReplyTo: ack!.parsed.messageId!,
      }),
    );
    const kase = await waitForCase(p, 'Teams の会議に参加できません', {
      until: (c) => c.messages.filter((m) => m.direction === 'in').length === 2,
      what: 'the reply to join the case',
    });
    const texts = kase.messages.filter((m) => m.direction === 'in').map((m) => m.text);
    expect(texts[1]).toContain('0x80070005');
    expect(texts[1]).not.toContain('受け付けました');
    // A second acknowledgement would be out before a later mail is answered.
    await passMarker(p);
    expect(mailsSince(before)).toHaveLength(1);
  });

  it('never answers an out-of-office robot', async () => {
    const before = p.sink.messages.length;
    await p.mailbox.append(
      mail({
        from: 'tanaka@contoso.co.jp',
        subject: '自動応答: 不在のお知らせ',
        body: '11/30 まで不在です。',
        messageId: '<ooo-1@contoso.co.jp>',
        headers: { 'Auto-Submitted': 'auto-replied' },
      }),
    );
    const kase = await waitForCase(p, '不在のお知らせ', { what: 'the auto-reply to be triaged' });
    expect(kase.triage.find((t) => t.step === 'reply')).toMatchObject({ result: 'suppressed' });
    expect(kase.sends).toEqual([]);
    expect(p.sink.messages.length).toBe(before);
  });

  it('stores one message when the same Message-ID is delivered twice', async () => {
    const m = mail({
      from: 'suzuki@contoso.co.jp',
      subject: '二重配信テスト',
      body: '一度だけ',
      messageId: '<dup-1@contoso.co.jp>',
    });
    const before = p.sink.messages.length;
    await p.mailbox.append(m);
    await p.mailbox.append(m);
    await p.sink.waitFor(before + 1);
    await p.eventually(
      async () => {
        const { rows } = await rawStates(p);
        return rows.filter((r) => r.state === 'duplicate').length >= 1;
      },
      15_000,
      'the second copy to be seen as a duplicate',
    );
    const kase = (await caseBySubject('二重配信テスト'))!;
    expect(kase.messages.filter((m) => m.direction === 'in')).toHaveLength(1);
    const cases = await p.api<{ items: Array<{ subject: string }> }>('GET', '/api/cases?limit=500');
    expect(cases.body.items.filter((c) => c.subject === '二重配信テスト')).toHaveLength(1);
    expect(p.sink.messages.length).toBe(before + 1);
  });

  it('keeps apart a different mail that reuses an earlier Message-ID, and still threads its ack to it', async () => {
    const before = p.sink.messages.length;
    const reused = '<scanner-fixed-id@contoso.co.jp>';
    await p.mailbox.append(
      mail({
        from: 'scan@contoso.co.jp',
        subject: 'スキャン 1 枚目',
        body: '請求書の写し',
        messageId: reused,
      }),
    );
    await p.sink.waitFor(before + 1);
    await p.mailbox.append(
      mail({
        from: 'scan@contoso.co.jp',
        subject: 'スキャン 2 枚目',
        body: '見積書の写し',
        messageId: reused,
      }),
    );
    const acks = (await p.sink.waitFor(before + 2)).slice(before);
    expect(acks.map((a) => a.parsed.inReplyTo)).toEqual([reused, reused]);
    expect(await caseBySubject('スキャン 1 枚目')).not.toBeNull();
    expect(await caseBySubject('スキャン 2 枚目')).not.toBeNull();
    // The same second mail delivered again is still one message.
    await p.mailbox.append(
      mail({
        from: 'scan@contoso.co.jp',
        subject: 'スキャン 2 枚目',
        body: '見積書の写し',
        messageId: reused,
      }),
    );
    // The copy is fetched and found a copy, then a later mail is answered: anything it caused is out by then.
    await passMarker(p);
    expect(mailsSince(before)).toHaveLength(2);
    const list = await p.api<{ items: Array<{ subject: string }> }>('GET', '/api/cases?limit=500');
    expect(list.body.items.filter((c) => c.subject.startsWith('スキャン 2'))).toHaveLength(1);
  });

  it('quarantines garbage and still processes the next mail', async () => {
    const before = p.sink.messages.length;
    await p.mailbox.append(
      Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x37, 0x0a, 0x0d, 0x0a, 0x01, 0x02, 0x03, 0x89, 0x50]),
    );
    await p.mailbox.append(
      mail({
        from: 'ito@contoso.co.jp',
        subject: 'ガベージの後',
        body: '届きますか',
        messageId: '<after-garbage@contoso.co.jp>',
      }),
    );
    await p.sink.waitFor(before + 1);
    const q = await p.eventually(
      async () => {
        const r = await p.api<{
          items: Array<{ code: string; reason: string; rawMail: { size: number } | null }>;
        }>('GET', '/api/quarantine');
        return r.body.items.length ? r.body.items : null;
      },
      15_000,
      'the garbage to be quarantined',
    );
    expect(q[0]!.code).toBe('mail_unparseable');
    // Kept whole: the server may normalise the bare LF to CRLF, nothing more.
    expect(q[0]!.rawMail?.size).toBeGreaterThanOrEqual(13);
    expect(q[0]!.rawMail?.size).toBeLessThanOrEqual(15);
    expect(await caseBySubject('ガベージの後')).not.toBeNull();
    // Counted where an operator's alerting looks.
    const metrics = await (await fetch(`${p.url}/metrics`)).text();
    expect(metrics).toMatch(/^csp_quarantined_total\{code="mail_unparseable"\} [1-9]/m);
  });

  it('releases a quarantined mail back into the pipeline, and 404s an unknown item', async () => {
    const before = p.sink.messages.length;
    await p.mailbox.append(
      mail({
        from: 'release@contoso.co.jp',
        subject: '隔離から戻すテスト',
        body: 'ライセンスについて教えてください。',
        messageId: '<release-1@contoso.co.jp>',
      }),
    );
    await p.sink.waitFor(before + 1);
    // As if an outage had quarantined it: the case and its ack are undone, the raw mail kept.
    const pg = new (await import('pg')).default.Client({ connectionString: p.db.url });
    await pg.connect();
    let rawId: string;
    try {
      const raw = await pg.query<{ id: string }>(
        `select r.id from raw_mails r join messages m on m.raw_mail_id = r.id where m.message_id = '<release-1@contoso.co.jp>'`,
      );
      rawId = raw.rows[0]!.id;
      const kase = await pg.query<{ case_id: string }>(
        `select case_id from messages where message_id = '<release-1@contoso.co.jp>'`,
      );
      const caseId = kase.rows[0]!.case_id;
      for (const t of ['triage_records', 'outbox', 'messages', 'escalations', 'chat_sessions'])
        await pg.query(`delete from ${t} where case_id = $1`, [caseId]);
      await pg.query('delete from cases where id = $1', [caseId]);
      await pg.query(`update raw_mails set state = 'quarantined' where id = $1`, [rawId]);
      await pg.query(
        `insert into quarantine (raw_mail_id, source, code, reason) values ($1, 'email', 'ingest_failed', 'database away')`,
        [rawId],
      );
    } finally {
      await pg.end();
    }
    const listed = await p.api<{
      items: Array<{ id: string; code: string; rawMail: { id: string } | null }>;
    }>('GET', '/api/quarantine');
    const item = listed.body.items.find((i) => i.rawMail?.id === rawId)!;
    expect(item.code).toBe('ingest_failed');

    const released = await p.api('POST', `/api/quarantine/${item.id}/release`);
    expect(released).toEqual({ status: 202, body: { released: true, rawMailId: rawId } });
    const again = await p.sink.waitFor(before + 2);
    expect(again[before + 1]!.parsed.inReplyTo).toBe('<release-1@contoso.co.jp>');
    expect(await caseBySubject('隔離から戻すテスト')).not.toBeNull();
    const after = await p.api<{ items: Array<{ id: string }> }>('GET', '/api/quarantine');
    expect(after.body.items.some((i) => i.id === item.id)).toBe(false);

    expect((await p.api('POST', `/api/quarantine/${item.id}/release`)).status).toBe(404);
    expect((await p.api('POST', '/api/quarantine/not-a-uuid/release')).status).toBe(400);
  });

  it('answers an unknown sender with the unknown_customer reply on an unverified case', async () => {
    const before = p.sink.messages.length;
    await p.mailbox.append(
      mail({
        from: 'someone@unknown.example',
        subject: 'Help with licences',
        body: 'We need help.',
        messageId: '<unk-1@unknown.example>',
      }),
    );
    const [ack] = (await p.sink.waitFor(before + 1)).slice(before);
    expect(ack!.parsed.subject).toContain('confirm your contract');
    const kase = await settled('Help with licences');
    expect(kase.verified).toBe(false);
    expect(kase.sends[0]).toMatchObject({ template: 'unknown_customer', status: 'sent' });
  });

  it('sends at most the configured number of automatic replies per sender per hour', async () => {
    const before = p.sink.messages.length;
    for (let i = 0; i < 7; i++) {
      await p.mailbox.append(
        mail({
          from: 'loop@contoso.co.jp',
          subject: `Loop ${i}`,
          body: 'again',
          messageId: `<loop-${i}@contoso.co.jp>`,
        }),
      );
    }
    await waitForCase(p, 'Loop 6', { timeoutMs: 20_000, what: 'all seven to be triaged' });
    // Every send recorded, then a later mail answered: no reply to the seven is still on its way.
    await passMarker(p);
    const toLoop = p.sink.messages.slice(before).filter((m) => m.envelopeTo.includes('loop@contoso.co.jp'));
    expect(toLoop).toHaveLength(5);
  });
});

async function rawStates(p: ProductUnderTest) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: p.db.url });
  await client.connect();
  try {
    return await client.query<{ state: string }>('select state from raw_mails');
  } finally {
    await client.end();
  }
}
