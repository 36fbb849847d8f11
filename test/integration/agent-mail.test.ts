import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueReplyToken, replyAddress } from '../../src/agents/reply-token.js';
import {
  addAgent,
  agentMails,
  agentNumber,
  agentReplyMail,
  header,
  notificationsTo,
  replyToOf,
} from '../support/agents.js';
import {
  addContoso,
  addCustomer,
  type CaseView,
  getCase,
  indirectCustomerInput,
  mail,
  sendsSettled,
  waitForCase,
} from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';
import type { ReceivedMail } from '../support/smtp-sink.js';

// Agents answer from their mail client: a notification for each customer message, a reply to it that reaches
// the customer as exactly the agent's new words, commands, and every way a reply can be refused.

const secretKey = 'reply-token-signing-key-for-tests-0123456789';
const authservId = 'mail.partner.example';
const dmarc = (result: 'pass' | 'fail', domain: string) =>
  `Authentication-Results: ${authservId}; dmarc=${result} (p=reject dis=none) header.from=${domain}\r\n`;

const kato = 'kato@partner.example';
const smith = 'smith@partner.example';
const gone = 'gone@partner.example';
const customer = 'taro@contoso.co.jp';

interface RejectedView {
  reason: string;
  detail: string;
  from: string;
  caseNumber: number | null;
  agent: string | null;
  agentTold: boolean;
}

describe('agents answer by mail', () => {
  let p: ProductUnderTest;
  let seq = 0;

  const id = (what: string) => `<${what}-${++seq}-${Date.now()}@client.example>`;
  const customerMail = async (subject: string, body: string, inReplyTo?: string) => {
    const messageId = id('customer');
    await p.mailbox.append(
      dmarc('pass', 'contoso.co.jp') +
        mail({ from: `山田 太郎 <${customer}>`, subject, body, messageId, inReplyTo }),
    );
    return messageId;
  };
  const settled = (which: number | string, until: (c: CaseView) => boolean = () => true) =>
    waitForCase(p, which, {
      until: (c) => c.triage.some((t) => t.step === 'reply') && sendsSettled(c) && until(c),
      timeoutMs: 20_000,
    });
  /** The next notification for `agent` about case `n`, after the `after` ones already seen. */
  const notification = (agent: string, n: number, after = 0) =>
    p.eventually(
      async () => notificationsTo(p, agent).filter((m) => m.parsed.subject?.includes(`[Case #${n}]`))[after],
      20_000,
      `notification ${after + 1} of case ${n} to ${agent}`,
    );
  const reply = async (
    o: { from?: string; to?: string; body: string; subject?: string; verdict?: 'pass' | 'fail' },
    n: ReceivedMail,
    headers: Record<string, string> = {},
  ) => {
    const from = o.from ?? kato;
    const messageId = id('agent');
    const raw = agentReplyMail({
      from: `Agent <${from}>`,
      to: o.to ?? replyToOf(n),
      notification: n,
      body: o.body,
      messageId,
      subject: o.subject,
      headers,
    });
    await p.mailbox.append(dmarc(o.verdict ?? 'pass', from.split('@')[1]!) + raw);
    return { messageId, raw };
  };
  const mailsTo = (address: string) => p.sink.messages.filter((m) => m.envelopeTo.includes(address));
  const rejected = async () =>
    (await p.api<{ items: RejectedView[] }>('GET', '/api/agent-mail/rejected')).body.items;
  const rejection = (reason: string) =>
    p.eventually(
      async () => (await rejected()).find((r) => r.reason === reason),
      20_000,
      `rejection ${reason}`,
    );

  beforeAll(async () => {
    p = await startProduct({ SECRET_KEY: secretKey, AUTHSERV_ID: authservId });
    await addContoso(p);
    await addAgent(p, { email: kato, name: '加藤 恵', locale: 'ja' });
    await addAgent(p, { email: smith, name: 'Anna Smith', locale: 'en' });
    await addAgent(p, { email: gone, name: 'Gone Agent', locale: 'en', active: false });
  });

  afterAll(async () => {
    await p?.stop();
  });

  it('tells every active agent, in their language, with the case, the plan facts, the triage and a reply token', async () => {
    await customerMail('Exchange Online にサインインできません', 'サインインすると AADSTS50076 が出ます。');
    const c = await settled('Exchange Online にサインインできません');
    const ja = await notification(kato, c.number);
    const en = await notification(smith, c.number);
    expect(notificationsTo(p, gone)).toHaveLength(0);
    expect(ja.parsed.subject).toBe(`[Case #${c.number}] Exchange Online にサインインできません`);
    expect(ja.parsed.from?.value[0]).toEqual({
      address: 'support@example.test',
      name: '山田 太郎 (Contoso Japan)',
    });
    expect(replyToOf(ja)).toMatch(/^support\+[a-z2-7]{20,}@example\.test$/);
    expect(replyToOf(en)).not.toBe(replyToOf(ja));
    expect(header(ja, 'references')).toBe(`<case-${c.number}.agents@example.test>`);
    expect(ja.parsed.text).toContain('Reply above this line');
    expect(ja.parsed.text).toContain('サインインすると AADSTS50076 が出ます。');
    expect(ja.parsed.text).toContain('スタンダード サポート (パートナー提供)');
    expect(ja.parsed.text).toContain('03-1234-5678');
    expect(ja.parsed.text).toContain('￥50,000');
    expect(ja.parsed.text).toContain('加藤 恵 さん');
    expect(ja.parsed.text).toMatch(/分類: .+/);
    expect(ja.parsed.text).toMatch(/回答期限: \d{4}/);
    expect(ja.parsed.html).toContain('csp-reply-above-7d1f');
    expect(en.parsed.text).toContain('Hello Anna Smith');
    expect(en.parsed.text).toContain('Support type: スタンダード サポート (パートナー提供)');
    // A notification never shows up among the customer's mail.
    expect(mailsTo(customer).every((m) => m.parsed.headers.get('auto-submitted') !== 'auto-generated')).toBe(
      true,
    );
  });

  it("delivers exactly the agent's new words to the customer, threaded, from the support address", async () => {
    const customerId = await customerMail(
      'Teams の会議に参加できません',
      '会議に参加するとエラーになります。',
    );
    const c = await settled('Teams の会議に参加できません');
    const n = await notification(kato, c.number);
    const before = mailsTo(customer).length;
    await reply(
      {
        body: 'Teams のキャッシュを削除してから再度お試しください。\n解決しない場合はご連絡ください。\n\n--\n加藤 恵\nパートナー株式会社',
      },
      n,
    );
    const answer = await p.eventually(
      async () => mailsTo(customer)[before],
      20_000,
      'the answer to the customer',
    );
    expect(answer.parsed.text?.trim()).toBe(
      'Teams のキャッシュを削除してから再度お試しください。\n解決しない場合はご連絡ください。',
    );
    expect(answer.parsed.subject).toContain(`[Case #${c.number}]`);
    expect(answer.parsed.inReplyTo).toBe(customerId);
    expect(answer.parsed.from?.value[0]?.address).toBe('support@example.test');
    expect(answer.raw.toString('latin1')).not.toContain(kato);
    expect(answer.parsed.headers.get('auto-submitted')).toBeUndefined();
    const after = await settled(c.number, (x) => x.status === 'pending');
    const out = after.messages.filter((m) => m.author === 'agent');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ direction: 'out', internal: false });
    // The customer writing again reopens the case.
    await customerMail(
      `Re: [Case #${c.number}] Teams の会議に参加できません`,
      'キャッシュ削除後も同じです。',
    );
    await waitForCase(p, c.number, {
      until: (x) => x.status === 'open' && x.messages.filter((m) => m.direction === 'in').length === 2,
      timeoutMs: 20_000,
      what: 'the case reopened by the customer',
    });
  });

  it('#note keeps the reply internal; #status, #priority and #assign take effect; the assignee alone hears next', async () => {
    await customerMail('OneDrive の同期が止まります', '同期が 3 日前から止まっています。');
    const c = await settled('OneDrive の同期が止まります');
    const n = await notification(kato, c.number);
    const before = mailsTo(customer).length;
    await reply({ body: '#note\nお客様に電話済み。ログを待つ。' }, n);
    await p.eventually(async () => {
      const x = await getCase(p, c.number);
      return x?.messages.some((m) => m.internal) ? x : null;
    });
    await reply({ body: `#priority urgent\n#assign ${smith}\n#status open` }, n);
    const changed = await p.eventually(async () => {
      const x = await getCase(p, c.number);
      return x?.priority === 'urgent' ? x : null;
    });
    expect(changed.status).toBe('open');
    expect((changed as CaseView & { assigneeId: string }).assigneeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(mailsTo(customer)).toHaveLength(before);

    const smithBefore = notificationsTo(p, smith).length;
    const katoBefore = notificationsTo(p, kato).length;
    await customerMail(`Re: [Case #${c.number}] OneDrive の同期が止まります`, 'ログを添付します。');
    await notification(smith, c.number, 1);
    await settled(c.number, (x) => x.messages.filter((m) => m.direction === 'in').length === 2);
    expect(notificationsTo(p, smith).length).toBe(smithBefore + 1);
    expect(notificationsTo(p, kato).length).toBe(katoBefore);

    const m = await notification(smith, c.number, 1);
    await reply({ from: smith, body: '#status resolved\nThe sync client update fixed it.' }, m);
    const resolved = await waitForCase(p, c.number, {
      until: (x) => x.status === 'resolved',
      timeoutMs: 20_000,
    });
    expect(resolved.messages.at(-1)).toMatchObject({ author: 'agent', internal: false });
    await p.eventually(async () =>
      mailsTo(customer).find((x) => x.parsed.text?.includes('sync client update')),
    );
  });

  it('#handover microsoft records the service request, waits as pending and stops the due clock', async () => {
    await customerMail('SharePoint Online のサイトが表示されません', 'サイトを開くと 500 エラーになります。');
    const c = await settled('SharePoint Online のサイトが表示されません');
    const n = await notification(kato, c.number);
    await reply({ body: '#handover microsoft 2512010040001234\nMicrosoft に調査を依頼しました。' }, n);
    const handed = await p.eventually(async () => {
      const x = (await getCase(p, c.number)) as CaseView & {
        microsoftRequest: { number: string; openedAt: string; status: string } | null;
        duePausedAt: string | null;
      };
      return x.microsoftRequest ? x : null;
    });
    expect(handed.microsoftRequest).toMatchObject({ number: '2512010040001234', status: 'open' });
    expect(handed.status).toBe('pending');
    expect(handed.handling).toBe('microsoft');
    expect(handed.duePausedAt).not.toBeNull();
    await p.eventually(async () =>
      mailsTo(customer).find((x) => x.parsed.text?.includes('Microsoft に調査を依頼しました')),
    );

    // Microsoft answered: #status open ends the wait and gives the case a fresh response time.
    await reply({ body: '#status open' }, n);
    const back = await waitForCase(p, c.number, {
      until: (x) => x.status === 'open',
      timeoutMs: 20_000,
      what: 'the case open again',
    });
    expect(back.microsoftRequest).toMatchObject({ number: '2512010040001234', status: 'answered' });
    expect(back.duePausedAt).toBeNull();
    expect(new Date(back.dueAt!).getTime()).toBeGreaterThan(Date.now());
  });

  it('#handover provider escalates to the indirect provider in its language; its answer comes back onto the case', async () => {
    const planId = (await p.api<{ items: { id: string }[] }>('GET', '/api/plans')).body.items[0]!.id;
    await addCustomer(
      p,
      indirectCustomerInput({ planId, indirectProviderLocale: 'ja', tenantId: 'fabrikam.onmicrosoft.com' }),
    );
    const ken = 'ken@fabrikam.example';
    await p.mailbox.append(
      dmarc('pass', 'fabrikam.example') +
        mail({
          from: `Ken Ito <${ken}>`,
          subject: 'Mailbox audit log export is empty',
          // One mailbox only: triage leaves it with the partner, whose agent then finds it needs Microsoft.
          body: 'The audit log export from Purview returns an empty file for one mailbox since Monday; the others export fine.',
          messageId: id('ken'),
        }),
    );
    const c = await settled('Mailbox audit log export is empty');
    expect(c.handling).toBe('partner');
    const n = await notification(kato, c.number);
    await reply(
      { body: '#handover provider\nWe have asked our distribution partner to take this to Microsoft.' },
      n,
    );
    const provider = 'escalations@provider.example';
    const escalation = await p.eventually(async () => mailsTo(provider)[0], 20_000, 'the escalation');
    expect(escalation.parsed.subject).toContain(`[Case #${c.number}]`);
    const text = escalation.parsed.text ?? '';
    expect(text).toContain('販売パートナー');
    expect(text).toContain('Fabrikam KK');
    expect(text).toContain('fabrikam.example');
    expect(text).toContain('fabrikam.onmicrosoft.com');
    expect(text).toContain(
      'The audit log export from Purview returns an empty file for one mailbox since Monday; the others export fine.',
    );
    expect(text).not.toMatch(/\b(how_to|configuration|unclassified|normal)\b/);
    const toKen = await p.eventually(async () =>
      mailsTo(ken).find((m) => m.parsed.text?.includes('distribution partner to take this')),
    );
    expect(toKen.parsed.text).not.toContain('indirect provider');
    const handed = (await getCase(p, c.number))!;
    expect(handed.handling).toBe('indirect_provider');
    expect(handed.escalation).toMatchObject({ target: 'indirect_provider', to: provider });

    await p.mailbox.append(
      mail({
        from: `Provider Desk <${provider}>`,
        subject: `RE: ${escalation.parsed.subject}`,
        body: 'Microsoft SR 2512020040005678 opened for this.',
        messageId: id('provider'),
        inReplyTo: escalation.parsed.messageId,
      }),
    );
    const back = await waitForCase(p, c.number, {
      until: (x) => x.messages.some((m) => m.text.includes('2512020040005678')),
      timeoutMs: 20_000,
      what: "the provider's answer on the case",
    });
    expect(back.messages.filter((m) => m.direction === 'in')).toHaveLength(2);
  });

  it("carries the agent's attachment and the screenshot the answer shows to the customer, not the signature logo", async () => {
    await customerMail('Power BI のレポートが更新されません', 'スケジュール更新が失敗します。');
    const c = await settled('Power BI のレポートが更新されません');
    const n = await notification(kato, c.number);
    const before = mailsTo(customer).length;
    const png = (seed: number) => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, seed, seed]);
    const raw = await new MailComposer({
      from: `加藤 恵 <${kato}>`,
      to: replyToOf(n),
      subject: `RE: ${n.parsed.subject}`,
      messageId: id('agent-att'),
      inReplyTo: n.parsed.messageId,
      references: [n.parsed.messageId!],
      text: '手順書を添付します。画面のとおり設定してください。\n\n--\n加藤 恵',
      html:
        '<div>手順書を添付します。画面のとおり設定してください。<br><img src="cid:shot@agent"></div>' +
        '<div id="Signature">--<br>加藤 恵<br><img src="cid:logo@agent"></div>' +
        `<div id="divRplyFwdMsg"><b>From:</b> support</div><div>${n.parsed.html ?? ''}</div>`,
      attachments: [
        { filename: '手順書.pdf', content: Buffer.from('%PDF-1.4 steps'), contentType: 'application/pdf' },
        { filename: 'screen.png', content: png(1), contentType: 'image/png', cid: 'shot@agent' },
        { filename: 'logo.png', content: png(2), contentType: 'image/png', cid: 'logo@agent' },
      ],
    })
      .compile()
      .build();
    await p.mailbox.append(dmarc('pass', 'partner.example') + raw.toString('utf8'));
    const answer = await p.eventually(async () => mailsTo(customer)[before], 20_000, 'the answer');
    expect(answer.parsed.text?.trim()).toBe('手順書を添付します。画面のとおり設定してください。');
    expect(answer.parsed.attachments.map((a) => a.filename).sort()).toEqual(['screen.png', '手順書.pdf']);
    expect(answer.parsed.attachments.find((a) => a.filename === '手順書.pdf')?.content.toString()).toBe(
      '%PDF-1.4 steps',
    );
  });

  it("a customer's mail to a plus-address, or a reply-all carrying a reply address, is the customer's, never lost", async () => {
    const plusId = id('plus');
    await p.mailbox.append(
      dmarc('pass', 'contoso.co.jp') +
        mail({
          from: `山田 太郎 <${customer}>`,
          to: 'support+contoso@example.test',
          subject: 'Defender のアラートが大量に届きます',
          body: '昨日から Defender のアラートが止まりません。',
          messageId: plusId,
        }),
    );
    const c = await settled('Defender のアラートが大量に届きます');
    expect(c.messages.filter((m) => m.direction === 'in')).toHaveLength(1);
    const n = await notification(kato, c.number);
    // The customer answers "reply all" on a thread an agent copied them on: it carries Kato's reply address.
    const raw = agentReplyMail({
      from: `山田 太郎 <${customer}>`,
      to: replyToOf(n),
      notification: n,
      body: '追加の情報です。アラートは 1 時間に 200 件です。',
      messageId: id('reply-all'),
    });
    await p.mailbox.append(dmarc('pass', 'contoso.co.jp') + raw);
    const joined = await waitForCase(p, c.number, {
      until: (x) => x.messages.some((m) => m.direction === 'in' && m.text.includes('1 時間に 200 件')),
      timeoutMs: 20_000,
      what: "the customer's reply-all on the case",
    });
    expect(joined.messages.filter((m) => m.author === 'agent')).toHaveLength(0);
  });

  it('the API takes the same commands: PATCH /api/cases/:number', async () => {
    await customerMail('Azure AD Connect の同期エラー', '同期で stopped-extension-dll-exception が出ます。');
    const c = await settled('Azure AD Connect の同期エラー');
    const patch = (body: unknown) =>
      p.api<CaseView & { error?: string }>('PATCH', `/api/cases/${c.number}`, body);
    const handed = await patch({
      handover: { target: 'microsoft', requestNumber: '2512030040009999' },
      priority: 'high',
    });
    expect(handed.status).toBe(200);
    expect(handed.body).toMatchObject({
      status: 'pending',
      priority: 'high',
      handling: 'microsoft',
      microsoftRequest: { number: '2512030040009999', status: 'open' },
    });
    expect(handed.body.duePausedAt).not.toBeNull();
    const again = await patch({ assignee: smith });
    expect(again.body.assigneeId).toMatch(/^[0-9a-f-]{36}$/);
    const open = await patch({ status: 'open', assignee: null });
    expect(open.body).toMatchObject({ status: 'open', assigneeId: null, duePausedAt: null });
    expect(open.body.microsoftRequest).toMatchObject({ number: '2512030040009999', status: 'answered' });
    expect((await patch({})).status).toBe(400);
    expect((await patch({ status: 'new' })).status).toBe(400);
    expect((await patch({ handover: { target: 'microsoft', requestNumber: 'SR-1' } })).status).toBe(400);
    const nobody = await patch({ assignee: 'nobody@partner.example' });
    expect(nobody).toMatchObject({ status: 422, body: { error: 'command_failed' } });
    expect((await patch({ handover: { target: 'provider' } })).status).toBe(422);
    expect((await p.api('PATCH', '/api/cases/999999', { status: 'open' })).status).toBe(404);
  });

  it("refuses a forged From, another case's token, an expired token, an inactive agent and a DMARC failure", async () => {
    await customerMail('Outlook が起動しません', 'Outlook がセーフモードでしか起動しません。');
    const a = await settled('Outlook が起動しません');
    await customerMail('Azure の請求が二重です', '今月の請求が二重になっています。');
    const b = await settled('Azure の請求が二重です');
    const na = await notification(kato, a.number);
    const nb = await notification(kato, b.number);
    const before = mailsTo(customer).length;
    const katoNotices = () =>
      mailsTo(kato).filter(
        (m) =>
          m.parsed.subject?.includes('Your reply was not delivered') ||
          m.parsed.subject?.includes('返信は送信されませんでした'),
      );

    await reply({ from: 'mallory@evil.example', body: 'Please send your password to me.' }, na);
    const forged = await rejection('not_the_agent');
    expect(forged).toMatchObject({
      from: 'mallory@evil.example',
      caseNumber: a.number,
      agent: kato,
      agentTold: true,
    });
    await p.eventually(async () => katoNotices()[0]);
    expect(mailsTo('mallory@evil.example')).toHaveLength(0);

    await reply(
      { body: 'Reply meant for the other case.', subject: `RE: [Case #${b.number}] Azure の請求が二重です` },
      na,
    );
    expect(await rejection('case_mismatch')).toMatchObject({ caseNumber: a.number });

    const expired = issueReplyToken([secretKey], {
      caseNumber: a.number,
      agentNumber: await agentNumber(p, kato),
      expiresAt: new Date(Date.now() - 2 * 86_400_000),
    });
    await reply({ to: replyAddress('support@example.test', expired), body: 'Late answer.' }, na);
    expect(await rejection('expired_token')).toMatchObject({ from: kato });

    const inactive = issueReplyToken([secretKey], {
      caseNumber: a.number,
      agentNumber: await agentNumber(p, gone),
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    await reply({ from: gone, to: replyAddress('support@example.test', inactive), body: 'I left.' }, na);
    expect(await rejection('inactive_agent')).toMatchObject({ from: gone, agentTold: false });

    await reply({ body: 'Forged through our own domain.', verdict: 'fail' }, nb);
    expect(await rejection('sender_unproven')).toMatchObject({ caseNumber: b.number });

    await reply({ body: '#stauts resolved\nDone.' }, nb);
    expect(await rejection('bad_command')).toMatchObject({ detail: 'unknown command #stauts' });

    await p.eventually(async () => ((await rejected()).length >= 6 ? true : null));
    expect(mailsTo(customer)).toHaveLength(before);
    const aNow = (await getCase(p, a.number))!;
    expect(aNow.messages.filter((m) => m.author === 'agent')).toHaveLength(0);
  });

  it('drops an out-of-office reply and takes a reply sent twice as one answer', async () => {
    await customerMail('Intune の登録ができません', 'デバイス登録でエラー 80180014 が出ます。');
    const c = await settled('Intune の登録ができません');
    const n = await notification(kato, c.number);
    const before = mailsTo(customer).length;
    await reply({ body: '12 月 3 日まで不在です。', subject: `自動応答: ${n.parsed.subject}` }, n, {
      'Auto-Submitted': 'auto-replied',
      'X-Auto-Response-Suppress': 'All',
    });
    const { raw } = await reply({ body: 'デバイスの登録制限をご確認ください。' }, n);
    await p.mailbox.append(dmarc('pass', 'partner.example') + raw);
    await p.eventually(async () => mailsTo(customer)[before], 20_000, 'the answer');
    // Both copies and the out-of-office mail are taken in: one answer, two dropped.
    const subject = `RE: ${n.parsed.subject}`;
    const taken = await p.eventually(
      async () => {
        const mine = (await agentMails(p)).filter((m) => m.subject.endsWith(n.parsed.subject!));
        return mine.length === 3 ? mine : null;
      },
      20_000,
      'three agent mails taken in',
    );
    expect(taken.map((m) => [m.outcome, m.reason]).sort()).toEqual([
      ['answered', 'answered'],
      ['dropped', 'auto_reply'],
      ['dropped', 'duplicate'],
    ]);
    expect(taken.filter((m) => m.subject === subject)).toHaveLength(2);
    const x = await settled(c.number);
    expect(x.messages.filter((m) => m.author === 'agent')).toHaveLength(1);
    expect(mailsTo(customer).filter((m) => m.parsed.text?.includes('登録制限'))).toHaveLength(1);
    expect((await rejected()).filter((r) => r.caseNumber === c.number)).toHaveLength(0);
    const dropped = await p.api<{ items: RejectedView[] }>('GET', '/api/agent-mail/rejected?outcome=dropped');
    expect(dropped.body.items.map((r) => r.reason).sort()).toEqual(['auto_reply', 'duplicate']);
  });
});
