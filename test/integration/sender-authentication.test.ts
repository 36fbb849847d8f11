import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addContoso,
  addCustomer,
  getCase,
  indirectCustomerInput,
  isTriaged,
  mail,
  waitForCase,
} from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// AUTHSERV_ID set: the partner's own receiving server (mail.partner.example) vouches for senders through its
// Authentication-Results header. A forged From at a customer's domain must not pass as that customer.

const authservId = 'mail.partner.example';
const dmarc = (result: 'pass' | 'fail', domain: string) =>
  `Authentication-Results: ${authservId}; dmarc=${result} (p=reject dis=none) header.from=${domain}\r\n`;
// What a sender writes into the mail itself: it sits below the headers the receiving server adds.
const forgedPass = (domain: string) =>
  `${authservId}; spf=pass smtp.mailfrom=${domain}; dkim=pass header.d=${domain}; dmarc=pass header.from=${domain}`;

describe('sender authentication: a forged From at a customer domain is not that customer', () => {
  let p: ProductUnderTest;
  let contosoId: string;
  let seq = 0;

  const send = async (
    verdict: 'pass' | 'fail',
    opts: { from: string; subject: string; body: string; inReplyTo?: string },
  ) => {
    const domain = opts.from.replace(/^.*@|>$/g, '');
    const messageId = `<auth-${++seq}-${Date.now()}@client.example>`;
    const headers: Record<string, string> =
      verdict === 'fail' ? { 'Authentication-Results': forgedPass(domain) } : {};
    await p.mailbox.append(dmarc(verdict, domain) + mail({ ...opts, messageId, headers }));
    return messageId;
  };
  /** The case with that subject once triage has decided on its first message and its sends are settled. */
  const caseFor = (subjectPart: string) =>
    waitForCase(p, subjectPart, {
      until: (c) =>
        isTriaged(c) &&
        c.sends.length > 0 &&
        c.sends.every((s) => s.status === 'sent' || s.status === 'failed'),
      timeoutMs: 20_000,
      what: `case "${subjectPart}" triaged and answered`,
    });
  /** The case once a second message of it has been triaged. */
  const secondTriaged = (number: number, what: string) =>
    waitForCase(p, number, {
      until: (c) => c.triage.filter((t) => t.step === 'customer').length === 2,
      timeoutMs: 20_000,
      what,
    });
  const mailsTo = (address: string) => p.sink.messages.filter((m) => m.envelopeTo.includes(address));

  beforeAll(async () => {
    p = await startProduct({ AUTHSERV_ID: 'Mail.Partner.Example' });
    let planId: string;
    ({ customerId: contosoId, planId } = await addContoso(p));
    await addCustomer(p, indirectCustomerInput({ planId }));
  });

  afterAll(async () => {
    await p?.stop();
  });

  it('a forged mail (dmarc=fail) is unverified, gets unknown_customer, and cannot join the case by its tag', async () => {
    await send('pass', {
      from: '山田 太郎 <taro@contoso.co.jp>',
      subject: 'Teams の会議に参加できません',
      body: '会議に参加しようとするとエラーになります。',
    });
    const real = await caseFor('Teams の会議に参加できません');
    expect(real.verified).toBe(true);
    expect(real.customer?.id).toBe(contosoId);
    expect(real.sends.map((s) => s.template)).toEqual(['ack']);

    await send('fail', {
      from: 'Contoso IT <taro@contoso.co.jp>',
      subject: `Re: [Case #${real.number}] 至急: 管理者権限の付与`,
      body: '私のアカウントに全体管理者の権限を付与してください。',
    });
    const forged = await caseFor('至急: 管理者権限の付与');
    expect(forged.number).not.toBe(real.number);
    expect(forged.verified).toBe(false);
    expect(forged.customer).toBeNull();
    expect(forged.sends.map((s) => [s.template, s.to])).toEqual([['unknown_customer', 'taro@contoso.co.jp']]);
    const identify = forged.triage.find((t) => t.step === 'customer')!;
    expect(identify.result).toBe('unproven');
    expect(identify.reason).toBe(
      'sender not proven: dmarc=fail (header.from=contoso.co.jp) as reported by mail.partner.example; case unverified',
    );
    const after = (await getCase(p, real.number))!;
    expect(after.messages.filter((m) => m.direction === 'in')).toHaveLength(1);

    const mailed = mailsTo('taro@contoso.co.jp').map((m) => m.parsed.subject ?? '');
    expect(mailed).toHaveLength(2);
    expect(mailed[1]).toContain(`[Case #${forged.number}]`);

    // Threading headers still join: they name a Message-ID only the case's own mail carried.
    const ack = mailsTo('taro@contoso.co.jp')[0]!.parsed;
    await send('fail', {
      from: 'Contoso IT <taro@contoso.co.jp>',
      subject: `Re: ${ack.subject}`,
      body: 'エラーコードは 0x80070005 です。',
      inReplyTo: ack.messageId!,
    });
    const joined = await secondTriaged(real.number, 'the threaded reply to be triaged on its case');
    expect(joined.messages.filter((m) => m.direction === 'in')).toHaveLength(2);
    expect(joined.verified).toBe(true);
    expect(joined.triage.filter((t) => t.step === 'customer')[1]!.reason).toMatch(
      /^sender not proven: dmarc=fail/,
    );
  });

  it('a forged mail from a new address at the domain leaves its contact unlinked to the customer', async () => {
    await send('fail', {
      from: 'CEO <ceo@contoso.co.jp>',
      subject: '振込先の変更について',
      body: '今月から振込先を変更します。',
    });
    const forged = await caseFor('振込先の変更について');
    expect(forged.verified).toBe(false);
    const contact = await p.runtime.db
      .selectFrom('contacts')
      .select('customer_id')
      .where('email', '=', 'ceo@contoso.co.jp')
      .executeTakeFirstOrThrow();
    expect(contact.customer_id).toBeNull();

    // The real person writing later is the customer, as before.
    await send('pass', {
      from: 'CEO <ceo@contoso.co.jp>',
      subject: 'OneDrive の容量',
      body: '容量を増やしたい。',
    });
    const real = await caseFor('OneDrive の容量');
    expect(real.verified).toBe(true);
    expect(real.customer?.id).toBe(contosoId);
  });

  it('a forged outage report for an indirect customer sends nothing to its indirect provider; a proven one does', async () => {
    const outage =
      'Since 10:00 JST Azure VMs in Japan East fail to start for several tenants we manage; other companies in the region report the same.';
    // A forged follow-up threaded onto the customer's open case hands nothing over either.
    await send('pass', {
      from: 'Ken Ito <ken@fabrikam.example>',
      subject: 'A question from Ken',
      body: 'Hello, I will send the details in my next mail.',
    });
    const open = await caseFor('A question from Ken');
    expect(open.verified).toBe(true);
    const ack = mailsTo('ken@fabrikam.example')[0]!.parsed;
    await send('fail', {
      from: 'Ken Ito <ken@fabrikam.example>',
      subject: `Re: ${ack.subject}`,
      body: outage,
      inReplyTo: ack.messageId!,
    });
    const followed = await secondTriaged(open.number, 'the forged follow-up to be triaged on its case');
    expect(followed.handling).toBe('indirect_provider');
    expect(followed.escalation).toBeNull();
    expect(followed.sends.map((s) => s.template)).toEqual([open.sends[0]!.template]);

    await send('fail', {
      from: 'Ken Ito <ken@fabrikam.example>',
      subject: 'Forged: regional outage in Japan East across tenants',
      body: outage,
    });
    const forged = await caseFor('Forged: regional outage');
    expect(forged.verified).toBe(false);
    expect(forged.escalation).toBeNull();
    expect(forged.sends.map((s) => s.template)).toEqual(['unknown_customer']);
    expect(mailsTo('escalations@provider.example')).toHaveLength(0);

    await send('pass', {
      from: 'Ken Ito <ken@fabrikam.example>',
      subject: 'Proven: regional outage in Japan East across tenants',
      body: outage,
    });
    const real = await caseFor('Proven: regional outage');
    expect(real.verified).toBe(true);
    expect(real.escalation).toMatchObject({
      target: 'indirect_provider',
      to: 'escalations@provider.example',
    });
    expect(real.sends.map((s) => s.template).sort()).toEqual([
      'escalation_indirect_provider',
      'handover_indirect_provider',
    ]);
    const toProvider = mailsTo('escalations@provider.example');
    expect(toProvider).toHaveLength(1);
    expect(toProvider[0]!.parsed.subject).toContain(`[Case #${real.number}]`);
  });
});
