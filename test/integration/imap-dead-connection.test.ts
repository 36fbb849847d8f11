import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mail } from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

// A connection that goes silent without closing (a NAT or firewall that forgot the flow) must be noticed
// and replaced within poll + stall seconds, and the mail that came meanwhile still answered.

describe('imap intake: a silently dead connection', () => {
  let p: ProductUnderTest;
  let proxy: TcpProxy;

  beforeAll(async () => {
    proxy = await startTcpProxy(inject('dovecot'));
    p = await startProduct(
      { IMAP_POLL_SECONDS: '2', IMAP_STALL_SECONDS: '3' },
      {},
      {
        imapUrl: (mailbox) => {
          const u = new URL(mailbox.imapUrl);
          u.host = `${proxy.host}:${proxy.port}`;
          return u.toString();
        },
      },
    );
  });

  afterAll(async () => {
    await p?.stop();
    await proxy?.close();
  });

  it('drops the dead connection, reconnects and answers the mail that arrived meanwhile', async () => {
    await p.mailbox.append(
      mail({ from: 'a@contoso.co.jp', subject: 'before', body: 'x', messageId: '<dead-1@contoso.co.jp>' }),
    );
    await p.sink.waitFor(1, 15_000);
    const connectionsBefore = proxy.connections();

    proxy.silenceOpenConnections();
    await p.mailbox.append(
      mail({ from: 'b@contoso.co.jp', subject: 'during', body: 'y', messageId: '<dead-2@contoso.co.jp>' }),
    );
    // Poll 2 s + stall 3 s + a reconnect: well inside 15 s; with no watchdog the IDLE would wait forever.
    const acks = await p.sink.waitFor(2, 15_000);
    expect(acks[1]!.parsed.inReplyTo).toBe('<dead-2@contoso.co.jp>');
    expect(proxy.connections()).toBeGreaterThan(connectionsBefore);
  });
});
