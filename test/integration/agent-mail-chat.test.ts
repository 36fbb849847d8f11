import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityHashFor } from '../../src/channels/chat/identity.js';
import { addAgent, agentReplyMail, notificationsTo, replyToOf } from '../support/agents.js';
import { connectVisitor } from '../support/chat-client.js';
import { addContoso, getCase } from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// An agent answers a chat case by mail: the visitor sees the answer live in the widget, or, once gone, gets
// it by mail with the transcript.

const identitySecret = 'chat-identity-secret-for-tests-0123';
const kato = 'kato@partner.example';

describe('agents answer chat cases by mail', () => {
  let p: ProductUnderTest;
  let seq = 0;
  const hash = (email: string) => identityHashFor(email, identitySecret);
  const notificationOf = (n: number, after = 0) =>
    p.eventually(
      async () => notificationsTo(p, kato).filter((m) => m.parsed.subject?.includes(`[Case #${n}]`))[after],
      20_000,
      `notification ${after + 1} of case ${n}`,
    );
  const answer = async (n: Awaited<ReturnType<typeof notificationOf>>, body: string) =>
    p.mailbox.append(
      agentReplyMail({
        from: `加藤 恵 <${kato}>`,
        to: replyToOf(n),
        notification: n,
        body,
        messageId: `<chat-agent-${++seq}-${Date.now()}@partner.example>`,
      }),
    );

  beforeAll(async () => {
    p = await startProduct({
      CHAT_IDENTITY_SECRET: identitySecret,
      SECRET_KEY: 'session-signing-key-for-tests-0123456789',
      CHAT_TRANSCRIPT_AFTER_SECONDS: '1',
    });
    await addContoso(p);
    await addAgent(p, { email: kato, name: '加藤 恵', locale: 'ja' });
  });

  afterAll(async () => {
    await p?.stop();
  });

  it('the visitor sees the answer live; after leaving, the next answer comes by mail with the transcript', async () => {
    const visitor = 'hanako@contoso.co.jp';
    const v = await connectVisitor(p.url, { email: visitor, name: '佐藤 花子', identityHash: hash(visitor) });
    const sent = await v.send('Teams で画面共有ができません');
    const n = await notificationOf(sent.caseNumber!);
    expect(n.parsed.text).toContain('Teams で画面共有ができません');

    await answer(n, 'Teams のアプリを最新版に更新してください。');
    const live = await p.eventually(
      async () => v.received.find((m) => m.author === 'agent'),
      20_000,
      'the answer in the widget',
    );
    expect(live.text).toBe('Teams のアプリを最新版に更新してください。');

    v.close();
    await p.eventually(async () => {
      const row = await p.runtime.db
        .selectFrom('chat_sessions')
        .select('connections')
        .where('email', '=', visitor)
        .executeTakeFirst();
      return row?.connections === 0;
    });
    await answer(n, '更新後も直らない場合は、このままご返信ください。');
    const mailed = await p.eventually(
      async () =>
        p.sink.messages.find(
          (m) => m.envelopeTo.includes(visitor) && m.parsed.text?.includes('更新後も直らない場合'),
        ),
      20_000,
      'the transcript mail with the answer',
    );
    expect(mailed.parsed.subject).toContain(`[Case #${sent.caseNumber}]`);
    expect(mailed.parsed.text).toContain('Teams で画面共有ができません');
    const c = (await getCase(p, sent.caseNumber!))!;
    expect(c.messages.filter((m) => m.author === 'agent')).toHaveLength(2);
  });
});
