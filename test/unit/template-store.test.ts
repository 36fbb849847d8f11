import { readdir, readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { RenderSandbox } from '../../src/replies/render-sandbox.js';
import { buildReplyContext, fallbackPlan, type ReplyContextInput } from '../../src/replies/reply-context.js';
import { parseTemplateFile } from '../../src/replies/template-store.js';
import { type Locale, templateKeys } from '../../src/vocabulary.js';

describe('parseTemplateFile', () => {
  it('splits the subject line from the body', () => {
    expect(parseTemplateFile('---\nsubject: [Case #{{ case.number }}] Hello\n---\nBody line\n')).toEqual({
      subject: '[Case #{{ case.number }}] Hello',
      body: 'Body line\n',
    });
  });

  it('accepts CRLF files', () => {
    expect(parseTemplateFile('---\r\nsubject: Hi\r\n---\r\nBody\r\n')).toEqual({
      subject: 'Hi',
      body: 'Body\r\n',
    });
  });

  it('trims the subject and ignores other front-matter keys', () => {
    expect(parseTemplateFile('---\ntitle: ignored\nsubject:    Spaced out   \nlocale: ja\n---\nB')).toEqual({
      subject: 'Spaced out',
      body: 'B',
    });
  });

  it('keeps a later "---" line in the body', () => {
    expect(parseTemplateFile('---\nsubject: S\n---\nabove\n---\nbelow')).toEqual({
      subject: 'S',
      body: 'above\n---\nbelow',
    });
  });

  it('a file without front matter is all body with an empty subject', () => {
    expect(parseTemplateFile('Just a body\n')).toEqual({ subject: '', body: 'Just a body\n' });
  });

  it('front matter without a subject gives an empty subject', () => {
    expect(parseTemplateFile('---\nlocale: en\n---\nBody')).toEqual({ subject: '', body: 'Body' });
  });
});

// Hand-written: what supportFacts must say for fallbackPlan (Mon-Fri 09:00-18:00 Asia/Tokyo, JP holidays,
// e-mail only, included), read in Tokyo.
const expectedFacts: Record<Locale, { type: string; hours: string; contact: string; price: string }> = {
  ja: {
    type: 'パートナー標準サポート (partner baseline support)',
    hours: '月〜金 9:00〜18:00 (日本時間)、祝日を除く',
    contact: 'メール: support@example.test',
    price: 'ご契約に含まれています (追加料金なし)',
  },
  en: {
    type: 'パートナー標準サポート (partner baseline support)',
    hours: 'Mon–Fri 9:00–18:00 (Asia/Tokyo time), except public holidays',
    contact: 'Email: support@example.test',
    price: 'included in your subscription (no extra charge)',
  },
};
const expectedWhen: Record<Locale, { due: string; nextOpen: string }> = {
  ja: { due: '2026年11月25日(水) 15:00 (日本時間)', nextOpen: '2026年11月24日(火) 9:00 (日本時間)' },
  en: { due: 'Wed, 25 Nov 2026, 15:00 (Asia/Tokyo)', nextOpen: 'Tue, 24 Nov 2026, 09:00 (Asia/Tokyo)' },
};

function sampleContext(locale: Locale, dueAt: Date | null) {
  return buildReplyContext(sampleInput(locale, dueAt));
}

function sampleInput(locale: Locale, dueAt: Date | null = null): ReplyContextInput {
  return {
    locale,
    zone: 'Asia/Tokyo',
    // Saturday 2026-11-21 21:00 JST; Monday 11-23 is a JP holiday, so the desk opens Tuesday.
    now: new Date('2026-11-21T12:00:00Z'),
    partnerName: 'Contoso Partner',
    plan: fallbackPlan('support@example.test'),
    caseRow: {
      number: '1042',
      subject: 'Cannot sign in to Teams',
      status: 'new',
      priority: 'normal',
      category: 'microsoft365',
      handling: 'partner',
      channel: 'email',
      dueAt,
      createdAt: new Date('2026-11-21T12:00:00Z'),
    },
    customer: { name: 'Fabrikam', verified: true },
    contact: { name: '山田 太郎', email: 'taro@fabrikam.example' },
    desk: { open: false, nextOpen: new Date('2026-11-24T00:00:00Z') },
  };
}

const templatesDir = new URL('../../templates/', import.meta.url);
const locales: Locale[] = ['ja', 'en'];
const files: Array<{ locale: Locale; key: string; text: string }> = [];
for (const locale of locales) {
  for (const name of (await readdir(new URL(`${locale}/`, templatesDir))).sort()) {
    if (!name.endsWith('.liquid')) continue;
    files.push({
      locale,
      key: name.replace(/\.liquid$/, ''),
      text: await readFile(new URL(`${locale}/${name}`, templatesDir), 'utf8'),
    });
  }
}

describe('default template files', () => {
  const sandbox = new RenderSandbox();
  afterAll(async () => {
    await sandbox.close();
  });

  it('exist for both locales, with the same keys, each a known template key', () => {
    const ja = files.filter((f) => f.locale === 'ja').map((f) => f.key);
    const en = files.filter((f) => f.locale === 'en').map((f) => f.key);
    expect(ja).toEqual([
      'ack',
      'ack_out_of_hours',
      'agent_notification',
      'chat_transcript',
      'escalation_indirect_provider',
      'handover_indirect_provider',
      'handover_microsoft',
      'known_incident',
      'unknown_customer',
    ]);
    expect(en).toEqual(ja);
    for (const key of ja) expect(templateKeys as readonly string[]).toContain(key);
  });

  it('the sample context carries the hand-computed support facts', () => {
    for (const locale of locales) {
      const s = sampleContext(locale, null).support;
      expect(s.type).toBe(expectedFacts[locale].type);
      expect(s.hours).toBe(expectedFacts[locale].hours);
      expect(s.contactMethods).toBe(expectedFacts[locale].contact);
      expect(s.price).toBe(expectedFacts[locale].price);
    }
  });

  for (const file of files) {
    describe(`${file.locale}/${file.key}.liquid`, () => {
      const { subject, body } = parseTemplateFile(file.text);
      const facts = expectedFacts[file.locale];
      const when = expectedWhen[file.locale];

      // A reply to an unknown sender repeats none of their words (see "no amplification" below).
      const echoesSubject = file.key !== 'unknown_customer';
      it(`has a subject with the case tag${echoesSubject ? " and the customer's subject" : ''}`, async () => {
        const out = await sandbox.render({ subject }, sampleContext(file.locale, null));
        expect(out.subject!.startsWith('[Case #1042] ')).toBe(true);
        if (echoesSubject) expect(out.subject).toContain('Cannot sign in to Teams');
        else expect(out.subject).not.toContain('Cannot sign in to Teams');
        expect(out.subject).not.toMatch(/[\r\n]/);
      });

      // The escalation mail goes to the indirect provider, not the customer: it names the case and the customer.
      const customerFacing = file.key !== 'escalation_indirect_provider' && file.key !== 'agent_notification';
      const itCustomerFacing = customerFacing ? it : () => {};
      if (file.key === 'agent_notification') {
        it("tells the agent the customer's words, the four plan facts, the triage and the due time", async () => {
          const out = await sandbox.render(
            { body },
            buildReplyContext({
              ...sampleInput(file.locale, new Date('2026-11-25T06:00:00Z')),
              agent: { name: '加藤 恵' },
              message: { text: 'Teams にサインインできません。', first: true },
              triage: { reason: 'rule: matched サインイン' },
            }),
          );
          for (const fact of [facts.type, facts.hours, facts.contact, facts.price, when.due])
            expect(out.body).toContain(fact);
          expect(out.body).toContain('加藤 恵');
          expect(out.body).toContain('Teams にサインインできません。');
          expect(out.body).toContain('rule: matched サインイン');
          expect(out.body).toContain('taro@fabrikam.example');
          expect(out.body).toContain(file.locale === 'ja' ? '当社で対応' : 'Resolved by the partner');
          expect(out.body).not.toContain('{{');
        });
      }
      if (file.key === 'escalation_indirect_provider') {
        it("gives the provider's desk the customer, tenant, plan, words and category in readable words", async () => {
          const input = sampleInput(file.locale, null);
          const out = await sandbox.render(
            { body },
            buildReplyContext({
              ...input,
              caseRow: { ...input.caseRow, category: 'ms_service_unavailable', priority: 'urgent' },
              customer: {
                ...input.customer,
                domain: 'fabrikam.example',
                tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
              },
              message: { text: 'Exchange Online に全社で接続できません。', first: true },
            }),
          );
          expect(out.body).toContain('1042');
          expect(out.body).toContain('Fabrikam');
          expect(out.body).toContain('fabrikam.example');
          expect(out.body).toContain('72f988bf-86f1-41af-91ab-2d7cd011db47');
          expect(out.body).toContain('Exchange Online に全社で接続できません。');
          expect(out.body).toContain(facts.type);
          expect(out.body).toContain(file.locale === 'ja' ? 'サービスを利用できない' : 'Service unavailable');
          expect(out.body).toContain(file.locale === 'ja' ? '緊急' : 'Urgent');
          expect(out.body).not.toContain('ms_service_unavailable');
          expect(out.body).not.toContain('{{');
        });
      }

      itCustomerFacing('states support type, hours, contact method, price and the case number', async () => {
        const out = await sandbox.render(
          { body },
          sampleContext(file.locale, new Date('2026-11-25T06:00:00Z')),
        );
        expect(out.body).toContain(facts.type);
        expect(out.body).toContain(facts.hours);
        expect(out.body).toContain(facts.contact);
        expect(out.body).toContain('support@example.test');
        expect(out.body).toContain(facts.price);
        expect(out.body).toContain('1042');
        expect(out.body).toContain('Contoso Partner');
        // A Japanese letter names the company first, then the person.
        const named = file.locale === 'ja' ? 'Fabrikam\n山田 太郎 様\n' : 'Dear 山田 太郎,\n';
        const generic = file.locale === 'ja' ? 'お客様\n' : 'Dear customer,\n';
        const greeting = echoesSubject ? named : generic;
        expect(out.body?.slice(0, greeting.length)).toBe(greeting);
        expect(out.body).not.toContain('{{');
        expect(out.body).not.toContain('{%');
        if (file.locale === 'ja') expect(out.body).toContain('誠に');
      });

      itCustomerFacing('renders with and without a due time (every variable is always present)', async () => {
        const withDue = await sandbox.render(
          { body },
          sampleContext(file.locale, new Date('2026-11-25T06:00:00Z')),
        );
        const withoutDue = await sandbox.render({ body }, sampleContext(file.locale, null));
        if (file.key === 'unknown_customer' || file.key === 'chat_transcript') {
          expect(withDue.body).toBe(withoutDue.body);
        } else {
          expect(withDue.body).toContain(when.due);
          expect(withoutDue.body).not.toContain(when.due);
        }
      });

      if (file.key === 'ack_out_of_hours') {
        it('tells when the desk opens', async () => {
          const out = await sandbox.render({ body }, sampleContext(file.locale, null));
          expect(out.body).toContain(when.nextOpen);
        });
      }

      if (file.key === 'unknown_customer') {
        it('names the address that could not be matched', async () => {
          const out = await sandbox.render({ body }, sampleContext(file.locale, null));
          expect(out.body).toContain('taro@fabrikam.example');
        });
      }
    });
  }
});

describe('chat template files', () => {
  const sandbox = new RenderSandbox();
  afterAll(async () => {
    await sandbox.close();
  });

  for (const locale of locales) {
    it(`${locale}: a short plain-text chat variant for every customer-facing reply, stating the four facts`, async () => {
      const names = (await readdir(new URL(`${locale}/chat/`, templatesDir)))
        .filter((n) => n.endsWith('.liquid'))
        .sort();
      expect(names).toEqual([
        'ack.liquid',
        'ack_out_of_hours.liquid',
        'handover_indirect_provider.liquid',
        'handover_microsoft.liquid',
        'known_incident.liquid',
        'unknown_customer.liquid',
      ]);
      const facts = expectedFacts[locale];
      for (const name of names) {
        const { body } = parseTemplateFile(
          await readFile(new URL(`${locale}/chat/${name}`, templatesDir), 'utf8'),
        );
        const out = await sandbox.render({ body }, sampleContext(locale, new Date('2026-11-25T06:00:00Z')));
        expect(out.body, name).toContain(facts.type);
        expect(out.body, name).toContain(facts.hours);
        expect(out.body, name).toContain(facts.price);
        expect(out.body, name).toContain('support@example.test');
        expect(out.body, name).toContain('1042');
        expect(out.body, name).not.toMatch(/このメール|this mail|reply to/i);
        expect(out.body, name).not.toContain('{{');
      }
    });
  }
});

describe('no amplification: the reply to an unknown sender repeats none of their words', () => {
  const sandbox = new RenderSandbox();
  afterAll(async () => {
    await sandbox.close();
  });
  const spam = 'WIN 1,000,000 YEN http://spam.example/claim';
  const context = (locale: Locale) =>
    buildReplyContext({
      ...sampleInput(locale),
      caseRow: { ...sampleInput(locale).caseRow, subject: `Visit ${spam} now` },
      customer: { name: '', verified: false },
      contact: { name: `Prize desk ${spam}`, email: 'victim@elsewhere.example' },
    });

  for (const locale of locales) {
    for (const variant of ['', 'chat/']) {
      it(`${locale}/${variant}unknown_customer.liquid`, async () => {
        const file = await readFile(
          new URL(`${locale}/${variant}unknown_customer.liquid`, templatesDir),
          'utf8',
        );
        const { subject, body } = parseTemplateFile(file);
        const out = await sandbox.render({ subject, body }, context(locale));
        for (const part of [out.subject ?? '', out.body ?? '']) {
          expect(part).not.toContain('spam.example');
          expect(part).not.toContain('Prize desk');
          expect(part).not.toContain('1,000,000');
        }
        if (variant === '') expect(out.subject).toMatch(/^\[Case #1042\] \S/);
      });
    }
  }
});
