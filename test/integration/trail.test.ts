import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addContoso, mail, sendsSettled, waitForCase } from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// The compliance trail of SPEC "Admin and API": per case and for a period, JSON and CSV.

interface Entry {
  case: number;
  at: string;
  event: string;
  result: string;
  detail: string;
}

describe('compliance trail', () => {
  let p: ProductUnderTest;
  const started = new Date(Date.now() - 60_000).toISOString();

  beforeAll(async () => {
    p = await startProduct();
    await addContoso(p);
    const now = new Date().toISOString();
    const incident = await p.api('POST', '/api/incidents', {
      id: 'EX777001',
      service: 'Exchange Online',
      title: 'Users cannot sign in',
      status: 'investigating',
      regions: ['Japan'],
      startedAt: now,
      updatedAt: now,
    });
    expect(incident.status).toBe(201);
  });

  afterAll(async () => {
    await p?.stop();
  });

  it('records arrival, the health check, the category, the facts each reply stated and the hand-over', async () => {
    await p.mailbox.append(
      mail({
        from: '山田 太郎 <taro@contoso.co.jp>',
        subject: 'Exchange Online に接続できません',
        body: '朝から Exchange Online に接続できません。',
        messageId: `<trail-${Date.now()}@contoso.co.jp>`,
      }),
    );
    const c = await waitForCase(p, 'Exchange Online に接続できません', {
      until: (x) => x.sends.length > 0 && sendsSettled(x),
      timeoutMs: 20_000,
    });
    expect(
      (
        await p.api('PATCH', `/api/cases/${c.number}`, {
          handover: { target: 'microsoft', requestNumber: '2512040040001111' },
        })
      ).status,
    ).toBe(200);
    const trail = await p.api<{ entries: Entry[] }>('GET', `/api/cases/${c.number}/trail`);
    expect(trail.status).toBe(200);
    const byEvent = (e: string) => trail.body.entries.filter((x) => x.event === e);
    expect(trail.body.entries[0]).toMatchObject({
      case: c.number,
      event: 'arrived',
      result: 'email',
      detail: 'taro@contoso.co.jp',
    });
    expect(byEvent('health_checked')).toEqual([expect.objectContaining({ result: 'EX777001' })]);
    expect(byEvent('classified').length).toBeGreaterThan(0);
    expect(byEvent('facts_disclosed')).toEqual([
      expect.objectContaining({
        result: 'known_incident',
        detail: 'email, sent; stated: support type, service hours, contact method, price',
      }),
    ]);
    expect(byEvent('microsoft_request')).toEqual([
      expect.objectContaining({ result: 'open', detail: 'service request 2512040040001111' }),
    ]);
    expect(byEvent('handed_over')).toEqual([expect.objectContaining({ result: 'microsoft' })]);
    expect((await p.api('GET', '/api/cases/999999/trail')).status).toBe(404);
  });

  it('gives a period as JSON or as CSV', async () => {
    const to = new Date(Date.now() + 60_000).toISOString();
    const json = await p.api<{ entries: Entry[]; truncated: boolean }>(
      'GET',
      `/api/trail?from=${encodeURIComponent(started)}&to=${encodeURIComponent(to)}`,
    );
    expect(json.status).toBe(200);
    expect(json.body.truncated).toBe(false);
    expect(json.body.entries.some((e) => e.event === 'facts_disclosed')).toBe(true);
    const csv = await fetch(
      `${p.url}/api/trail?from=${encodeURIComponent(started)}&to=${encodeURIComponent(to)}`,
      {
        headers: { authorization: `Bearer ${p.env.ADMIN_API_TOKEN}`, accept: 'text/csv' },
      },
    );
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="trail-.*\.csv"/);
    expect(csv.headers.get('x-trail-truncated')).toBe('false');
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // the UTF-8 byte-order mark
    const lines = bytes.subarray(3).toString('utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('case,at,event,result,detail');
    expect(lines.length).toBe(json.body.entries.length + 1);
    expect(lines.some((l) => l.includes('"facts_disclosed"'))).toBe(true);
    expect((await p.api('GET', '/api/trail?from=2026-12-02&to=2026-12-01')).status).toBe(400);
    expect((await p.api('GET', '/api/trail')).status).toBe(400);
  });
});
