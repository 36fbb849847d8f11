import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addContoso, getCase, mail, sendsSettled, waitForCase } from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// The support profile's words on customer mail: the desk's From name, the case tag format in subjects
// (and replies threaded back by it), and the signature block; the Japanese greeting names the company.

describe('support profile: From name, subject tag and signature', () => {
  let p: ProductUnderTest;

  beforeAll(async () => {
    p = await startProduct();
    await addContoso(p);
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('refuses a tag format replies could not be threaded back by', async () => {
    for (const subjectTag of ['#{number}', '[Case]', '{number}', '[2026-{number}]']) {
      const res = await p.api<{ error: string; message: string }>('PUT', '/api/profile', { subjectTag });
      expect(res.status, subjectTag).toBe(400);
      expect(res.body.message).toContain('【受付番号:{number}】');
    }
    const profile = await p.api<{ subjectTag: string }>('GET', '/api/profile');
    expect(profile.body.subjectTag).toBe('[Case #{number}]');
  });

  it('writes the tag, From name and signature, and threads a reply that carries only the tag', async () => {
    const profile = {
      deskName: 'パートナー株式会社 サポートデスク',
      subjectTag: '【受付番号:{number}】',
      signature: 'パートナー株式会社 サポートデスク\nTEL 03-1234-5678 (平日 9:00〜18:00)',
    };
    expect((await p.api('PUT', '/api/profile', profile)).status).toBe(200);
    await p.mailbox.append(
      mail({
        from: '山田 太郎 <taro@contoso.co.jp>',
        subject: 'Teams の通知が届きません',
        body: '昨日から通知が来ません。',
        messageId: '<profile-1@contoso.co.jp>',
      }),
    );
    const c = await waitForCase(p, 'Teams の通知が届きません', {
      until: (x) => x.sends.length > 0 && sendsSettled(x),
    });
    const ack = await p.eventually(async () =>
      p.sink.messages.find((m) => m.parsed.subject?.includes('Teams の通知')),
    );
    expect(ack.parsed.subject).toBe(
      `【受付番号:${c.number}】 お問い合わせを受け付けました: Teams の通知が届きません`,
    );
    expect(ack.parsed.from?.value[0]).toEqual({ name: profile.deskName, address: 'support@example.test' });
    const text = ack.parsed.text ?? '';
    expect(text.startsWith('Contoso Japan\n山田 太郎 様\n')).toBe(true);
    expect(text).toContain('パートナー株式会社 サポートデスクでございます。');
    expect(text.trimEnd().endsWith(profile.signature)).toBe(true);

    // The customer's reply keeps only the tag (no In-Reply-To): it joins the same case.
    await p.mailbox.append(
      mail({
        from: '山田 太郎 <taro@contoso.co.jp>',
        subject: `Re: 【受付番号：${c.number}】 お問い合わせを受け付けました`,
        body: '再起動しても同じです。',
        messageId: '<profile-2@contoso.co.jp>',
      }),
    );
    await p.eventually(
      async () => ((await getCase(p, c.number))?.messages.length ?? 0) >= 3,
      20_000,
      'the reply on the case',
    );
    const after = await getCase(p, c.number);
    expect(after!.messages.filter((m) => m.direction === 'in').map((m) => m.text)).toEqual([
      '昨日から通知が来ません。',
      '再起動しても同じです。',
    ]);

    // An answer from the desk carries the same tag and From name.
    const sent = p.sink.messages.length;
    expect(
      (await p.api('POST', `/api/cases/${c.number}/replies`, { text: '通知の設定をご確認ください。' }))
        .status,
    ).toBe(201);
    const [answer] = (await p.sink.waitFor(sent + 1, 20_000)).slice(sent);
    expect(answer!.parsed.subject).toBe(`Re: 【受付番号:${c.number}】 Teams の通知が届きません`);
    expect(answer!.parsed.from?.value[0]?.name).toBe(profile.deskName);
  });
});
