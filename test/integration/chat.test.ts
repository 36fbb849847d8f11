import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityHashFor } from '../../src/channels/chat/identity.js';
import { connectVisitor } from '../support/chat-client.js';
import { addContoso, getCase } from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// The chat channel through socket.io, as the SPEC describes it, against the whole product.

const identitySecret = 'chat-identity-secret-for-tests-0123';

describe('chat: socket.io gateway, identity, sessions, replies', () => {
  let p: ProductUnderTest;
  const hash = (email: string) => identityHashFor(email, identitySecret);
  const kase = async (n: number) => (await getCase(p, n))!;

  beforeAll(async () => {
    p = await startProduct({
      CHAT_IDENTITY_SECRET: identitySecret,
      SECRET_KEY: 'session-signing-key-for-tests-0123456789',
      CHAT_TRANSCRIPT_AFTER_SECONDS: '1',
      CHAT_ALLOWED_ORIGINS: 'https://portal.example.test',
    });
    await addContoso(p);
  });

  afterAll(async () => {
    await p?.stop();
  });

  it('leaves a CHAT_IDENTITY_SECRET set by the environment to the environment', async () => {
    const res = await p.api<{ error: string }>('POST', '/api/chat/identity-secret');
    expect(res).toMatchObject({ status: 409, body: { error: 'set_by_environment' } });
    expect(JSON.stringify((await p.api('GET', '/api/chat/settings')).body)).not.toContain(identitySecret);
  });

  it('a verified visitor opens a case, gets the ack live, and a retry with the same clientId is one message', async () => {
    const v = await connectVisitor(p.url, {
      email: 'Taro@Contoso.co.jp',
      name: '山田 太郎',
      identityHash: hash('taro@contoso.co.jp'),
    });
    expect(v.session.verified).toBe(true);
    expect(v.session.messages).toEqual([]);
    const ack = await v.send('Teams の会議に参加できません', 'same-client-id');
    expect(ack.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(ack.caseNumber).toBeGreaterThan(0);
    const again = await v.send('Teams の会議に参加できません', 'same-client-id');
    expect(again).toEqual(ack);

    const system = await p.eventually(async () => v.received.find((m) => m.author === 'system'));
    expect(system.text).toContain(String(ack.caseNumber));
    expect(system.text).toContain('スタンダード サポート (パートナー提供)');
    expect(system.text).toContain('03-1234-5678');
    expect(system.text).toContain('￥50,000');
    expect(system.text).not.toContain('このメール'); // the chat variant, not the mail one
    const c = await kase(ack.caseNumber!);
    expect(c.channel).toBe('chat');
    expect(c.verified).toBe(true);
    expect(c.customer?.name).toBe('Contoso Japan');
    expect(c.contact.email).toBe('taro@contoso.co.jp');
    expect(c.messages.filter((m) => m.direction === 'in')).toHaveLength(1);
    const sent = await p.eventually(async () => {
      const now = await kase(ack.caseNumber!);
      return now.sends.every((s) => s.status === 'sent') ? now.sends : null;
    });
    expect(sent).toEqual([expect.objectContaining({ channel: 'chat', status: 'sent' })]);

    // Reload: the token resumes the conversation with its history.
    v.close();
    const back = await connectVisitor(p.url, { sessionToken: v.session.sessionToken });
    expect(back.session.caseNumber).toBe(ack.caseNumber);
    expect(back.session.messages.map((m) => m.author)).toEqual(['customer', 'system']);
    expect(back.session.messages[0]!.text).toBe('Teams の会議に参加できません');

    // An agent answer through the API arrives live.
    const posted = await p.api<{ id: string }>('POST', `/api/cases/${ack.caseNumber}/replies`, {
      text: '回避策: Web 版の Teams から参加してください。',
    });
    expect(posted.status).toBe(201);
    const live = await p.eventually(async () => back.received.find((m) => m.author === 'agent'));
    expect(live).toMatchObject({ id: posted.body.id, text: '回避策: Web 版の Teams から参加してください。' });
    back.close();
  });

  it('refuses a forged identity hash as verified and never links the visitor to the customer', async () => {
    const v = await connectVisitor(p.url, {
      email: 'taro@contoso.co.jp',
      identityHash: hash('someone-else@contoso.co.jp'),
    });
    expect(v.session.verified).toBe(false);
    expect(v.session.messages).toEqual([]);
    const ack = await v.send('<script>alert(1)</script> 請求書を見せて');
    const c = await kase(ack.caseNumber!);
    expect(c.verified).toBe(false);
    expect(c.customer).toBe(null);
    expect(c.contact.email).not.toBe('taro@contoso.co.jp');
    // Stored exactly as typed: it is text, and every screen shows it as text.
    expect(c.messages[0]!.text).toBe('<script>alert(1)</script> 請求書を見せて');
    v.close();
  });

  it('refuses a malformed sign-in with the field named instead of quietly treating it as a stranger', async () => {
    for (const [auth, field] of [
      [{ email: 'not-an-address', identityHash: hash('not-an-address') }, 'email'],
      [{ email: 'taro@contoso.co.jp', identityHash: 'x'.repeat(500) }, 'identityHash'],
      [{ locale: 'fr' }, 'locale'],
    ] as const) {
      const err = await connectVisitor(p.url, auth).then(
        () => null,
        (e: Error & { data?: { code: string; field: string } }) => e,
      );
      expect(err?.message).toContain(`${field}:`);
      expect(err?.data).toEqual({ code: 'invalid_auth', field });
    }
  });

  it('gives a tampered, expired or borrowed-id token a fresh empty session, never another visitor’s', async () => {
    const a = await connectVisitor(p.url, {});
    await a.send('visitor A private question');
    const b = await connectVisitor(p.url, {});
    const [, aId] = a.session.sessionToken.split('.');
    const [v, bId, exp, sig] = b.session.sessionToken.split('.');
    for (const token of [
      `${v}.${aId}.${exp}.${sig}`, // B's signature on A's id
      `${a.session.sessionToken}x`,
      `v1.${aId}.1.${sig}`,
      'garbage',
    ]) {
      const c = await connectVisitor(p.url, { sessionToken: token });
      expect(c.session.messages).toEqual([]);
      expect(c.session.caseNumber).toBe(undefined);
      expect(c.session.sessionToken.split('.')[1]).not.toBe(aId);
      expect(c.session.sessionToken.split('.')[1]).not.toBe(bId);
      c.close();
    }
    a.close();
    b.close();
  });

  it('lets the widget connect from allowed origins only', async () => {
    const portal = await connectVisitor(
      p.url,
      {},
      { extraHeaders: { origin: 'https://portal.example.test' } },
    );
    expect(portal.session.sessionToken).toMatch(/^v1\./);
    portal.close();
    const own = await connectVisitor(p.url, {}, { extraHeaders: { origin: p.url } });
    own.close();
    await expect(
      connectVisitor(p.url, {}, { extraHeaders: { origin: 'https://evil.example' } }),
    ).rejects.toThrow();
  });

  it('rejects bad messages with a clear error and limits a flood', async () => {
    const v = await connectVisitor(p.url, {});
    expect((await v.send('')).error?.code).toBe('invalid_message');
    expect((await v.send('x'.repeat(4001))).error?.message).toMatch(/4000/);
    expect(
      (await v.socket.timeout(5000).emitWithAck('message', { text: 'hi', clientId: 'bad id!' })).error?.code,
    ).toBe('invalid_message');
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => v.send(`flood ${i}`)));
    expect(results.filter((r) => r.error?.code === 'rate_limited').length).toBeGreaterThan(0);
    expect(results.filter((r) => r.id).length).toBeLessThanOrEqual(20);
    v.close();
  });

  it('mails unread agent answers and the transcript to a verified visitor who has left', async () => {
    const v = await connectVisitor(p.url, {
      email: 'hanako@contoso.co.jp',
      name: '佐藤 花子',
      identityHash: hash('hanako@contoso.co.jp'),
    });
    const ack = await v.send('OneDrive の同期が止まっています');
    await p.eventually(async () => v.received.find((m) => m.author === 'system'));
    v.close();
    await p.eventually(async () => {
      const rows = await p.runtime.db
        .selectFrom('chat_sessions')
        .select('connections')
        .where('email', '=', 'hanako@contoso.co.jp')
        .executeTakeFirst();
      return rows?.connections === 0;
    });
    const posted = await p.api('POST', `/api/cases/${ack.caseNumber}/replies`, {
      text: '再起動で直るか試してください。',
    });
    expect(posted.status).toBe(201);
    const mail = await p.eventually(
      async () => p.sink.messages.find((m) => m.envelopeTo.includes('hanako@contoso.co.jp')),
      20_000,
      'the transcript mail',
    );
    const text = mail.parsed.text ?? '';
    expect(mail.parsed.subject).toContain(`[Case #${ack.caseNumber}]`);
    expect(text).toContain('OneDrive の同期が止まっています');
    expect(text).toContain('再起動で直るか試してください。');
    expect(text).toContain('スタンダード サポート (パートナー提供)');
  });
});
