import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importGraphIncidents } from '../../src/triage/graph-health-import.js';
import {
  addCustomer,
  addPlan,
  customerInput,
  getCase,
  indirectCustomerInput,
  mail,
  type PlanInput,
  waitForCase,
} from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// The triage scenarios of a CSP partner, through IMAP in and SMTP out, on a Saturday evening in Tokyo.

const saturdayEvening = new Date('2026-11-28T12:00:00Z'); // Sat 21:00 JST
const weekdayPlan: Partial<PlanInput> = {
  name: 'Business',
  supportType: 'ビジネス サポート (パートナー提供)',
  hours: {
    timeZone: 'Asia/Tokyo',
    always: false,
    weekly: [{ days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' }],
    holidays: ['2026-12-31'],
    nationalHolidays: 'JP',
  },
  price: { amount: 30000, currency: 'JPY', unit: 'month' },
  responseTargets: { urgent: 'PT2H', high: 'PT4H', normal: 'P1D', low: 'P3D' },
};

describe('triage: service health first, hand-over categories, direct vs indirect, business hours', () => {
  let p: ProductUnderTest;
  let seq = 0;

  const send = async (from: string, subject: string, body: string) => {
    const id = `<triage-${++seq}-${Date.now()}@client.example>`;
    await p.mailbox.append(mail({ from, subject, body, messageId: id }));
    return id;
  };
  /** The case once triage has decided on it. */
  const caseFor = (subjectPart: string) => waitForCase(p, subjectPart);
  const mailsTo = (address: string) => p.sink.messages.filter((m) => m.envelopeTo.includes(address));

  beforeAll(async () => {
    p = await startProduct({}, { now: () => saturdayEvening });
    // The standard plan's contact methods, weekday hours and its own price and targets.
    const planId = await addPlan(p, weekdayPlan);
    await addCustomer(p, customerInput({ indirectProviderEmail: null, planId }));
    await addCustomer(p, indirectCustomerInput({ planId }));
  });

  afterAll(async () => {
    await p?.stop();
  });

  it('tags a Saturday-night Exchange outage with the active incident and says when the desk opens', async () => {
    const created = await p.api('POST', '/api/incidents', {
      id: 'EX123456',
      service: 'Exchange Online',
      title: 'ユーザーが Outlook on the web でメールボックスにアクセスできない',
      status: 'serviceDegradation',
      regions: ['Japan'],
      startedAt: '2026-11-28T11:00:00Z',
      updatedAt: '2026-11-28T11:30:00Z',
      link: 'https://admin.microsoft.com/servicehealth/EX123456',
    });
    expect(created.status).toBe(201);
    await send(
      '山田 太郎 <taro@contoso.co.jp>',
      'Outlook on the web でメールボックスが開けません',
      '全社でブラウザの Outlook からメールボックスを開くと 503 エラーになります。至急確認をお願いします。',
    );
    const kase = await caseFor('Outlook on the web でメールボックス');
    expect(kase.category).toBe('known_incident');
    expect(kase.tags).toContain('incident:EX123456');
    expect(kase.handling).toBe('partner');
    expect(kase.priority).toBe('high');
    const health = kase.triage.find((t) => t.step === 'health')!;
    expect(health.result).toBe('EX123456');
    expect(health.reason).toContain('Exchange Online');
    expect(kase.triage.find((t) => t.step === 'category')!.reason).toMatch(/rule known-incident.*'/);

    const ack = await p.eventually(async () => mailsTo('taro@contoso.co.jp')[0]);
    const text = ack.parsed.text ?? '';
    expect(ack.parsed.subject).toContain(`[Case #${kase.number}]`);
    expect(text).toContain('EX123456');
    expect(text).toContain('ユーザーが Outlook on the web でメールボックスにアクセスできない');
    expect(text).toContain('serviceDegradation');
    expect(text).toContain('2026年11月28日(土) 20:30 (日本時間)'); // last update, Japanese style
    expect(text).toContain('窓口は 2026年11月30日(月) 9:00 (日本時間) に開きます');
    expect(text).toContain('ビジネス サポート (パートナー提供)');
    expect(text).toContain('月〜金 9:00〜18:00 (日本時間)');
    expect(text).toContain('03-1234-5678');
    expect(text).toContain('￥30,000');
    // High priority: 4 business hours from Monday 9:00.
    expect(kase.dueAt).toBe('2026-11-30T04:00:00.000Z');
  });

  it('hands a regional multi-tenant outage of an indirect customer to the indirect provider', async () => {
    await send(
      'Ken Ito <ken@fabrikam.example>',
      'Regional outage in Japan East across tenants',
      'Since 10:00 JST Azure VMs in Japan East fail to start for several tenants we manage; other companies in the region report the same.',
    );
    const kase = await caseFor('Regional outage in Japan East');
    expect(kase.category).toBe('ms_regional_multitenant');
    expect(kase.handling).toBe('indirect_provider');
    expect(kase.escalation).toMatchObject({
      target: 'indirect_provider',
      to: 'escalations@provider.example',
    });
    const toProvider = await p.eventually(async () => mailsTo('escalations@provider.example')[0]);
    expect(toProvider.parsed.subject).toContain(`[Case #${kase.number}]`);
    expect(toProvider.parsed.text).toContain('Fabrikam KK');
    const reply = await p.eventually(async () => mailsTo('ken@fabrikam.example')[0]);
    expect(reply.parsed.text).toContain('distribution partner');
    expect(reply.parsed.text).not.toContain('indirect provider');
    expect(reply.parsed.text).toContain('ビジネス サポート (パートナー提供)');
    expect(reply.parsed.text).toContain('Mon–Fri 9:00–18:00');
    expect(reply.parsed.text).toContain('¥30,000');
    const templates = (await getCase(p, kase.number))!.sends.map((s) => s.template);
    expect(templates.sort()).toEqual(['escalation_indirect_provider', 'handover_indirect_provider']);
    expect(kase.triage.find((t) => t.step === 'handling')!.reason).toContain('indirect');
  });

  it('keeps a licence purchase with the partner and hands a direct customer outage to Microsoft', async () => {
    await send(
      'Hanako <hanako@contoso.co.jp>',
      'ライセンス追加のお願い',
      'Microsoft 365 E3 を 20 ライセンス追加購入したいです。見積をお願いします。',
    );
    const billing = await caseFor('ライセンス追加のお願い');
    expect(billing.category).toBe('billing_subscription');
    expect(billing.handling).toBe('partner');
    expect(billing.escalation).toBe(null);
    expect(billing.triage.find((t) => t.step === 'category')!.reason).toMatch(
      /billing-subscription.*'(追加購入|購入|見積)/,
    );
    const ack = await p.eventually(async () => mailsTo('hanako@contoso.co.jp')[0]);
    expect(ack.parsed.text).toContain('2026年11月30日(月) 9:00');

    await send(
      'Jiro <jiro@contoso.co.jp>',
      'SharePoint が全社で使えません',
      '朝から社員全員が SharePoint Online にアクセスできません。503 Service Unavailable と表示されます。',
    );
    const outage = await caseFor('SharePoint が全社で');
    expect(outage.category).toBe('ms_service_unavailable');
    expect(outage.handling).toBe('microsoft');
    expect(outage.escalation).toMatchObject({ target: 'microsoft', to: null });
    const reply = await p.eventually(async () => mailsTo('jiro@contoso.co.jp')[0]);
    expect(reply.parsed.text).toContain('Microsoft へ問い合わせ');
  });

  it('rejects a malformed rule or incident with a 400 naming the field, and saves nothing', async () => {
    const before = await p.api<{ version: string; rules: unknown[] }>('GET', '/api/rules');
    const badRule = await p.api<{ error: string; message: string }>('POST', '/api/rules', {
      id: 'bad-rule',
      name: 'Bad',
      all: [{ type: 'text', regex: '(?=look-ahead)x' }],
      actions: { category: 'billing_subscription' },
    });
    expect(badRule.status).toBe(400);
    expect(badRule.body.message).toMatch(/all\.0\.regex/);
    const badCategory = await p.api<{ message: string }>('POST', '/api/rules', {
      id: 'bad-rule',
      name: 'Bad',
      all: [{ type: 'text', anyOf: ['x'] }],
      actions: { category: 'nonsense' },
    });
    expect(badCategory.status).toBe(400);
    expect(badCategory.body.message).toMatch(/actions\.category/);
    const after = await p.api<{ version: string }>('GET', '/api/rules');
    expect(after.body.version).toBe(before.body.version);

    const badIncident = await p.api<{ message: string }>('POST', '/api/incidents', {
      id: 'not-an-id',
      service: 'Exchange Online',
      title: 'x',
      status: 'investigating',
      startedAt: 'yesterday',
    });
    expect(badIncident.status).toBe(400);
    expect(badIncident.body.message).toMatch(/id:/);
    expect(badIncident.body.message).toMatch(/startedAt:/);
    expect((await p.api('GET', '/api/incidents/NO123456')).status).toBe(404);
  });

  it('dry-runs a rule change against past cases without saving it', async () => {
    const current = await p.api<{ version: string; rules: Array<{ id: string }> }>('GET', '/api/rules');
    const same = await p.api<{ evaluated: number; changed: number }>('POST', '/api/rules/dry-run', {
      rules: current.body.rules,
    });
    expect(same.body.evaluated).toBeGreaterThanOrEqual(4);
    expect(same.body.changed).toBe(0);
    // A firm rule: the learned opinion, which also reads a licence order as billing, cannot overrule it.
    const proposed = current.body.rules.map((r) =>
      r.id === 'billing-subscription' ? { ...r, actions: { category: 'how_to', stop: true }, firm: true } : r,
    );
    const res = await p.api<{
      evaluated: number;
      changes: Array<{ number: number; from: { category: string }; to: { category: string } }>;
    }>('POST', '/api/rules/dry-run', { rules: proposed });
    expect(res.status).toBe(200);
    expect(res.body.evaluated).toBeGreaterThanOrEqual(4);
    const billing = await caseFor('ライセンス追加のお願い');
    const change = res.body.changes.find((c) => c.number === billing.number);
    expect(change?.from.category).toBe('billing_subscription');
    expect(change?.to.category).not.toBe('billing_subscription');
    // Unchanged cases are not listed, and nothing was saved.
    expect(
      res.body.changes.some((c) => c.from.category === c.to.category && c.number !== billing.number),
    ).toBe(false);
    expect((await p.api<{ version: string }>('GET', '/api/rules')).body.version).toBe(current.body.version);
  });

  it('dry-runs over a period only, and refuses a save started from an older version of the rules', async () => {
    const current = await p.api<{ version: string; rules: unknown[] }>('GET', '/api/rules');
    const future = await p.api<{ evaluated: number }>('POST', '/api/rules/dry-run', {
      rules: current.body.rules,
      from: '2099-01-01',
      to: '2099-02-01',
    });
    expect(future.body.evaluated).toBe(0);
    const saved = await p.api<{ version: string }>('PUT', '/api/rules', {
      rules: current.body.rules,
      baseVersion: current.body.version,
    });
    expect(saved.status).toBe(200);
    const stale = await p.api<{ error: string }>('PUT', '/api/rules', {
      rules: current.body.rules,
      baseVersion: current.body.version,
    });
    expect(stale).toMatchObject({ status: 409, body: { error: 'conflict' } });
    expect((await p.api<{ version: string }>('GET', '/api/rules')).body.version).toBe(
      String(Number(current.body.version) + 1),
    );
  });

  it('imports incidents from a Graph service-health endpoint, following paging', async () => {
    const pages: Record<string, unknown> = {
      '/v1.0/admin/serviceAnnouncement/issues': {
        value: [
          {
            id: 'TM654321',
            title: 'Users may be unable to join meetings',
            service: 'Microsoft Teams',
            status: 'investigating',
            classification: 'incident',
            isResolved: false,
            startDateTime: '2026-11-28T10:00:00Z',
            lastModifiedDateTime: '2026-11-28T11:00:00Z',
          },
          { id: 'broken' },
        ],
        '@odata.nextLink': 'NEXT',
      },
      '/v1.0/page2': {
        value: [
          {
            id: 'SP111111',
            title: 'Old SharePoint issue',
            service: 'SharePoint Online',
            status: 'serviceRestored',
            classification: 'incident',
            isResolved: true,
            startDateTime: '2026-11-01T10:00:00Z',
          },
          {
            id: 'MO222222',
            title: 'Advisory',
            service: 'Microsoft 365 suite',
            status: 'serviceDegradation',
            classification: 'advisory',
            startDateTime: '2026-11-01T10:00:00Z',
          },
        ],
      },
    };
    let auth = '';
    const server: Server = createServer((req, res) => {
      auth = String(req.headers.authorization ?? '');
      const body = pages[req.url ?? ''];
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      res.end(JSON.stringify(body ?? {}).replace('NEXT', `${base}/v1.0/page2`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1.0`;
      const result = await importGraphIncidents({ db: p.runtime.db, baseUrl: base, token: 'graph-token' });
      expect(result).toEqual({ imported: 2, skipped: 2, pages: 2 });
      expect(auth).toBe('Bearer graph-token');
      const list = await p.api<{
        items: Array<{ id: string; active: boolean; serviceId: string; source: string }>;
      }>('GET', '/api/incidents');
      expect(list.body.items.find((i) => i.id === 'TM654321')).toMatchObject({
        active: true,
        serviceId: 'teams',
        source: 'graph',
      });
      expect(list.body.items.find((i) => i.id === 'SP111111')?.active).toBe(false);
      expect(list.body.items.some((i) => i.id === 'MO222222')).toBe(false);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
