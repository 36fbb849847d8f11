import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityHashFor } from '../../src/channels/chat/identity.js';
import { connectVisitor } from '../support/chat-client.js';
import { addContoso } from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// The chat identity secret kept in the database: never read back through the API, replaced on request
// (the answer is the only place the new one shows), and the old one stops verifying at once.

describe('chat identity secret rotation', () => {
  let p: ProductUnderTest;

  beforeAll(async () => {
    p = await startProduct();
    await addContoso(p);
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('shows a new secret once, verifies with it, and no longer with the old one', async () => {
    const old = (
      await p.runtime.db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', 'chat_identity_secret')
        .executeTakeFirstOrThrow()
    ).value;
    const before = await connectVisitor(p.url, {
      email: 'taro@contoso.co.jp',
      identityHash: identityHashFor('taro@contoso.co.jp', old),
    });
    expect(before.session.verified).toBe(true);
    before.close();

    const settings = await p.api<Record<string, unknown>>('GET', '/api/chat/settings');
    expect(settings.body).toMatchObject({ identitySecretSource: 'generated' });
    expect(JSON.stringify(settings.body)).not.toContain(old);

    const rotated = await p.api<{ identitySecret: string }>('POST', '/api/chat/identity-secret');
    expect(rotated.status).toBe(201);
    expect(rotated.body.identitySecret).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.body.identitySecret).not.toBe(old);
    expect(JSON.stringify((await p.api('GET', '/api/chat/settings')).body)).not.toContain(
      rotated.body.identitySecret,
    );

    const withOld = await connectVisitor(p.url, {
      email: 'taro@contoso.co.jp',
      identityHash: identityHashFor('taro@contoso.co.jp', old),
    });
    expect(withOld.session.verified).toBe(false);
    withOld.close();
    const withNew = await connectVisitor(p.url, {
      email: 'taro@contoso.co.jp',
      identityHash: identityHashFor('taro@contoso.co.jp', rotated.body.identitySecret),
    });
    expect(withNew.session.verified).toBe(true);
    withNew.close();

    const audit = await p.api<{ items: { action: string; entity: string; after: unknown }[] }>(
      'GET',
      '/api/audit?entity=chat_identity_secret',
    );
    expect(audit.body.items.map((a) => a.action)).toEqual(['rotate']);
    expect(JSON.stringify(audit.body)).not.toContain(rotated.body.identitySecret);
  });
});
