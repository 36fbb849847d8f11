import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addContoso, addPlan, mail, sendsSettled, waitForCase } from '../support/factories.js';
import { type ProductUnderTest, startProduct } from '../support/product.js';

// The templates API of SPEC "Admin and API": live text and history, a save that is linted first (422 with
// line and column, or without a place for a plan fact left out), preview per plan, rollback; the next
// acknowledgement uses the live version.

interface Problem {
  line: number | null;
  column: number | null;
  message: string;
}
interface TemplateView {
  key: string;
  locale: string;
  channel: string;
  version: number;
  subject: string;
  body: string;
  versions: { version: number; subject: string; body: string; createdBy: string }[];
}

describe('templates API', () => {
  let p: ProductUnderTest;
  let seq = 0;
  let planId: string;

  const get = (path: string) => p.api<TemplateView>('GET', path);
  const put = (path: string, body: unknown) =>
    p.api<{ version: number; error?: string; message?: string; problems?: Problem[] }>('PUT', path, body);
  /** The acknowledgement of a new mail (its subject made unique, so no other case's subject contains it). */
  const ackOf = async (what: string) => {
    const subject = `${what} (${++seq})`;
    await p.mailbox.append(
      mail({
        from: `山田 太郎 <taro${seq}@contoso.co.jp>`,
        subject,
        body: 'Teams にサインインできません。',
        messageId: `<tpl-${seq}-${Date.now()}@contoso.co.jp>`,
      }),
    );
    await waitForCase(p, subject, { until: (c) => c.sends.length > 0 && sendsSettled(c), timeoutMs: 20_000 });
    return p.eventually(async () => p.sink.messages.find((m) => m.parsed.subject?.includes(subject)));
  };

  beforeAll(async () => {
    p = await startProduct();
    ({ planId } = await addContoso(p));
  });

  afterAll(async () => {
    await p?.stop();
  });

  it('lists every key, locale and channel with its live version', async () => {
    const list = await p.api<{ items: { key: string; locale: string; channel: string; version: number }[] }>(
      'GET',
      '/api/templates',
    );
    expect(list.status).toBe(200);
    const names = list.body.items.map((t) => `${t.channel}/${t.key}/${t.locale}`);
    expect(names).toContain('email/ack/ja');
    expect(names).toContain('chat/ack/en');
    expect(names).toContain('email/agent_notification/ja');
    expect(names).not.toContain('chat/agent_notification/ja');
    expect(list.body.items.every((t) => t.version === 0)).toBe(true);
    const ack = await get('/api/templates/ack/ja');
    expect(ack.body).toMatchObject({ key: 'ack', locale: 'ja', channel: 'email', version: 0 });
    expect(ack.body.body).toContain('{{ support.price }}');
    expect(ack.body.versions.map((v) => v.version)).toEqual([0]);
    expect((await get('/api/templates/agent_notification/ja?channel=chat')).status).toBe(404);
    expect((await get('/api/templates/nope/ja')).status).toBe(400);
    expect((await get('/api/templates/ack/fr')).status).toBe(400);
  });

  it('passes every shipped default through the lint, in both languages and both channels', async () => {
    const list = await p.api<{ items: { key: string; locale: string; channel: string }[] }>(
      'GET',
      '/api/templates',
    );
    for (const t of list.body.items) {
      const path = `/api/templates/${t.key}/${t.locale}`;
      const live = (await get(`${path}?channel=${t.channel}`)).body;
      const preview = await p.api<{ problems: Problem[]; body: string }>(
        'POST',
        `${path}/preview?channel=${t.channel}`,
        {
          subject: live.subject,
          body: live.body,
        },
      );
      expect({
        template: `${t.channel}/${t.key}/${t.locale}`,
        status: preview.status,
        problems: preview.body.problems,
      }).toEqual({
        template: `${t.channel}/${t.key}/${t.locale}`,
        status: 200,
        problems: [],
      });
      expect(preview.body.body).not.toContain('{{');
    }
  });

  it('refuses a template without the price, one that does not parse and one with an unknown variable', async () => {
    const ack = (await get('/api/templates/ack/ja')).body;
    const noPrice = await put('/api/templates/ack/ja', {
      subject: ack.subject,
      body: ack.body.replace('料金: {{ support.price }}', ''),
    });
    expect(noPrice.status).toBe(422);
    expect(noPrice.body.error).toBe('template_invalid');
    expect(noPrice.body.problems).toEqual([
      { line: null, column: null, message: '料金 (price) must be stated in customer-facing templates' },
    ]);
    const broken = await put('/api/templates/ack/ja', {
      subject: ack.subject,
      body: `${ack.body}\n{% if case.dueAt %}`,
    });
    expect(broken.status).toBe(422);
    expect(broken.body.problems![0]).toMatchObject({ line: ack.body.split('\n').length + 1, column: 1 });
    expect(broken.body.problems![0]!.message).toContain('not closed');
    const unknown = await put('/api/templates/ack/ja', {
      subject: ack.subject,
      body: `{{ case.nope }}\n${ack.body}`,
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.problems).toContainEqual(
      expect.objectContaining({ line: 1, column: 4, message: 'unknown variable case.nope' }),
    );
    const filter = await put('/api/templates/ack/ja', {
      subject: ack.subject,
      body: `{{ case.number | shout }}\n${ack.body}`,
    });
    expect(filter.status).toBe(422);
    expect(filter.body.problems![0]!.message).toContain('undefined filter: shout');
    // Facts only inside a branch that does not always run are not stated; files cannot be included.
    const branch = await put('/api/templates/ack/ja', {
      subject: ack.subject,
      body: ack.body.replace(
        '料金: {{ support.price }}',
        '{% if desk.open %}料金: {{ support.price }}{% endif %}',
      ),
    });
    expect(branch.status).toBe(422);
    expect(branch.body.problems![0]!.message).toBe(
      '料金 (price) must be stated in customer-facing templates (it is not shown with the desk closed)',
    );
    const include = await put('/api/templates/ack/ja', {
      subject: ack.subject,
      body: `{% render "secrets" %}\n${ack.body}`,
    });
    expect(include.status).toBe(422);
    const runtime = await put('/api/templates/ack/ja', {
      subject: ack.subject,
      body: `{% unless desk.open %}{{ contact.name.first.nope }}{% endunless %}\n${ack.body}`,
    });
    expect(runtime.status).toBe(422);
    expect((await get('/api/templates/ack/ja')).body.version).toBe(0);
  });

  it("shows a plan's due times for telling arrival times", async () => {
    const ds = await p.api<{ timeZone: string; samples: { label: string; due: Record<string, string> }[] }>(
      'GET',
      `/api/plans/${planId}/due-samples`,
    );
    expect(ds.status).toBe(200);
    expect(ds.body.samples.map((s) => s.label)).toEqual(
      expect.arrayContaining(['Monday 10:00', 'Friday 17:30']),
    );
    expect(Object.keys(ds.body.samples[0]!.due).sort()).toEqual(['high', 'low', 'normal', 'urgent']);
    expect((await p.api('GET', '/api/plans/00000000-0000-0000-0000-000000000000/due-samples')).status).toBe(
      404,
    );
  });

  it('previews against a sample case of each plan', async () => {
    const premium = await addPlan(p, {
      name: 'Premium',
      supportType: 'プレミア サポート (パートナー提供)',
      price: { amount: 120000, currency: 'JPY', unit: 'month' },
    });
    const ack = (await get('/api/templates/ack/ja')).body;
    const preview = (id: string) =>
      p.api<{ plan: string; subject: string; body: string }>('POST', '/api/templates/ack/ja/preview', {
        subject: ack.subject,
        body: ack.body,
        planId: id,
      });
    const standard = await preview(planId);
    const premier = await preview(premium);
    expect(standard.status).toBe(200);
    expect(standard.body.subject).toContain('[Case #1042]');
    expect(standard.body.body).toContain('スタンダード サポート (パートナー提供)');
    expect(premier.body.body).toContain('プレミア サポート (パートナー提供)');
    expect(premier.body.body).toContain('120,000');
    expect(premier.body.plan).toBe('Premium');
    const bad = await p.api('POST', '/api/templates/ack/ja/preview', { subject: '', body: '{% if %}' });
    expect(bad.status).toBe(422);
    expect(
      (
        await p.api('POST', '/api/templates/ack/ja/preview', {
          subject: '',
          body: '',
          planId: '00000000-0000-0000-0000-000000000000',
        })
      ).status,
    ).toBe(404);
  });

  it('saves a new version the next acknowledgement uses, and rolls back to the shipped default', async () => {
    const ack = (await get('/api/templates/ack/ja')).body;
    const edited = ack.body.replace(
      'このたびはお問い合わせをいただき、誠にありがとうございます。',
      'このたびは弊社サポート窓口へのお問い合わせ、誠にありがとうございます。',
    );
    expect(edited).not.toBe(ack.body);
    const saved = await put('/api/templates/ack/ja', {
      subject: ack.subject,
      body: edited,
      baseVersion: ack.version,
    });
    expect(saved.status).toBe(201);
    expect(saved.body.version).toBe(1);
    const withEdit = await ackOf('Exchange のメールが届きません');
    expect(withEdit.parsed.text).toContain('弊社サポート窓口へのお問い合わせ');

    // An edit started from version 0 comes too late now: 409, nothing saved.
    const stale = await put('/api/templates/ack/ja', { subject: ack.subject, body: edited, baseVersion: 0 });
    expect(stale.status).toBe(409);
    const history = (await get('/api/templates/ack/ja')).body;
    expect(history.version).toBe(1);
    expect(history.versions.map((v) => v.version)).toEqual([1, 0]);
    expect(history.versions[0]!.createdBy).toBe('api-token');

    const back = await p.api<{ version: number }>('POST', '/api/templates/ack/ja/rollback', { version: 0 });
    expect(back).toMatchObject({ status: 201, body: { version: 2 } });
    const restored = (await get('/api/templates/ack/ja')).body;
    expect(restored.body).toBe(ack.body);
    expect((await p.api('POST', '/api/templates/ack/ja/rollback', { version: 9 })).status).toBe(404);
    // The sending process may reuse the version it looked up for up to 2 s: mail until an ack shows the rollback.
    const until = Date.now() + 15_000;
    let plain = await ackOf('SharePoint のサイトが開けません #1');
    for (
      let i = 2;
      plain.parsed.text?.includes('弊社サポート窓口へのお問い合わせ') && Date.now() < until;
      i++
    )
      plain = await ackOf(`SharePoint のサイトが開けません #${i}`);
    expect(plain.parsed.text).not.toContain('弊社サポート窓口へのお問い合わせ');
    const audit = await p.api<{ items: { action: string; entity: string }[] }>('GET', '/api/audit');
    expect(audit.body.items.filter((a) => a.entity === 'template').map((a) => a.action)).toEqual(
      expect.arrayContaining(['save', 'rollback']),
    );
  });

  it('a live version that fails to render falls back to the last one that renders, and the list shows the alert', async () => {
    const ack = (await get('/api/templates/ack/ja')).body;
    const edited = ack.body.replace(
      'このたびはお問い合わせをいただき、誠にありがとうございます。',
      '本日はお問い合わせいただき、誠にありがとうございます。',
    );
    const good = await put('/api/templates/ack/ja', { subject: ack.subject, body: edited });
    expect(good.status).toBe(201);
    // A version that cannot render (saved before a change, say): written straight to the table, past the lint.
    await p.runtime.db
      .insertInto('templates')
      .values({
        key: 'ack',
        locale: 'ja',
        version: good.body.version + 1,
        subject: ack.subject,
        body: '{{ case.number | no_such_filter }}',
        created_by: 'test',
      })
      .execute();
    // The sending process may reuse the live version it looked up for 2 s: mail until an ack shows the change.
    const until = Date.now() + 15_000;
    let reply = await ackOf('OneDrive の同期が止まります #1');
    for (let i = 2; !reply.parsed.text?.includes('本日はお問い合わせいただき') && Date.now() < until; i++)
      reply = await ackOf(`OneDrive の同期が止まります #${i}`);
    expect(reply.parsed.text).toContain('本日はお問い合わせいただき、誠にありがとうございます。');
    const list = await p.api<{
      items: {
        key: string;
        locale: string;
        channel: string;
        version: number;
        failure: { version: number; error: string } | null;
      }[];
    }>('GET', '/api/templates');
    const live = list.body.items.find((t) => t.key === 'ack' && t.locale === 'ja' && t.channel === 'email')!;
    expect(live.version).toBe(good.body.version + 1);
    expect(live.failure).toMatchObject({
      version: good.body.version + 1,
      error: expect.stringContaining('no_such_filter'),
    });
  });
});
