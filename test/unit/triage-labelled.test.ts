import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ActiveIncident, classify } from '../../src/triage/classify.js';
import { defaultRules } from '../../src/triage/triage-config.js';
import { categories } from '../../src/vocabulary.js';

// The default rules against a labelled set of realistic contacts (ja and en, mail and chat, hard negatives).

interface Contact {
  id: string;
  channel: 'email' | 'chat';
  locale: 'ja' | 'en';
  relationship: 'direct' | 'indirect';
  subject: string;
  text: string;
  expected: { category: string; handling: string };
  note?: string;
}

const readSet = (file: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/triage/${file}`, import.meta.url), 'utf8')) as Contact[];
// contacts.json, contacts-2.json and contacts-3.json: the sets the default rules were written and tuned
// against (the second was first measured at 67.5% and the third at 64.6% before tuning on them).
// final-test.json: written separately and never used for tuning, so its figure says how the rules do on
// wording they have not seen.
const contacts = readSet('contacts.json');
const contacts2 = readSet('contacts-2.json');
const contacts3 = readSet('contacts-3.json');
const finalTest = readSet('final-test.json');

const incidents: ActiveIncident[] = [
  {
    id: 'EX123456',
    serviceId: 'exchange',
    service: 'Exchange Online',
    title: "Users can't access mailboxes via Outlook on the web",
    status: 'serviceDegradation',
    updatedAt: new Date('2026-11-21T11:00:00Z'),
    link: null,
  },
  {
    id: 'TM654321',
    serviceId: 'teams',
    service: 'Microsoft Teams',
    title: 'Users may be unable to join meetings',
    status: 'investigating',
    updatedAt: new Date('2026-11-21T11:00:00Z'),
    link: null,
  },
];
const rules = defaultRules();
// final-test.json measured 78% when first written, and 84% after the incident-sentence scope and the
// tuning on contacts-3.json (done without looking at it). The floor guards against getting worse.
const FINAL_TEST_FLOOR = 0.84;

function run(c: Contact) {
  return classify({
    subject: c.subject,
    body: c.text,
    channel: c.channel,
    locale: c.locale,
    customer: { id: `cust-${c.relationship}`, relationship: c.relationship, planId: null },
    verified: true,
    withinHours: true,
    incidents,
    rules,
  });
}

describe('default rules on the labelled contacts', () => {
  it('has a realistic set: 60+ contacts, both languages, both channels, every category', () => {
    expect(contacts.length).toBeGreaterThanOrEqual(60);
    expect(new Set(contacts.map((c) => c.locale))).toEqual(new Set(['ja', 'en']));
    expect(new Set(contacts.map((c) => c.channel))).toEqual(new Set(['email', 'chat']));
    for (const cat of categories)
      expect(
        contacts.some((c) => c.expected.category === cat),
        cat,
      ).toBe(true);
  });

  function evaluate(set: Contact[], label: string) {
    const confusion = new Map<string, Map<string, number>>();
    const wrong: string[] = [];
    let right = 0;
    for (const c of set) {
      const got = run(c);
      const row = confusion.get(c.expected.category) ?? new Map<string, number>();
      row.set(got.category, (row.get(got.category) ?? 0) + 1);
      confusion.set(c.expected.category, row);
      if (got.category === c.expected.category && got.handling === c.expected.handling) right++;
      else {
        const why = got.steps.filter((s) => s.step === 'rule').map((s) => s.reason);
        wrong.push(
          `${c.id}: expected ${c.expected.category}/${c.expected.handling}, got ${got.category}/${got.handling} ${why.join('; ') || '(no rule)'}`,
        );
      }
    }
    const short = (s: string) => s.replace(/^ms_/, 'ms.').slice(0, 10);
    const cols = [...categories];
    const lines = [
      `${label}: expected \\ got  ${cols.map((c) => short(c).padStart(10)).join(' ')}`,
      ...cols.map(
        (e) =>
          `${short(e).padEnd(15)} ${cols.map((g) => String(confusion.get(e)?.get(g) ?? '.').padStart(10)).join(' ')}`,
      ),
      `${label} accuracy ${right}/${set.length} = ${((100 * right) / set.length).toFixed(1)}%`,
      ...wrong,
    ];
    console.log(lines.join('\n'));
    return right / set.length;
  }

  it('classifies at least 90% of the labelled set correctly (category and handling), printing the confusion table', () => {
    expect(evaluate(contacts, 'labelled set')).toBeGreaterThanOrEqual(0.9);
  });

  it('classifies at least 90% of the second labelled set correctly, printing the confusion table', () => {
    expect(contacts2.length).toBeGreaterThanOrEqual(40);
    expect(evaluate(contacts2, 'second labelled set')).toBeGreaterThanOrEqual(0.9);
  });

  it('classifies at least 90% of the third labelled set correctly, printing the confusion table', () => {
    expect(contacts3.length).toBeGreaterThanOrEqual(48);
    expect(evaluate(contacts3, 'third labelled set')).toBeGreaterThanOrEqual(0.9);
  });

  // Reported, and guarded only against getting worse than when it was first measured; rules are never
  // tuned against this set, or it would stop measuring anything.
  it('keeps the untouched test set at or above its recorded accuracy, printing the confusion table', () => {
    expect(finalTest.length).toBeGreaterThanOrEqual(50);
    expect(evaluate(finalTest, 'untouched test set')).toBeGreaterThanOrEqual(FINAL_TEST_FLOOR);
  });

  it('tags a known incident with its id and explains each decision with the rule and the words', () => {
    const c = run({
      id: 'x',
      channel: 'email',
      locale: 'ja',
      relationship: 'direct',
      subject: 'Exchange Online にサインインできません',
      text: '全社で 503 エラーが出ています。',
      expected: { category: 'known_incident', handling: 'partner' },
    });
    expect(c.category).toBe('known_incident');
    expect(c.tags).toContain('incident:EX123456');
    expect(c.incident?.id).toBe('EX123456');
    const category = c.steps.find((s) => s.step === 'category');
    expect(category?.reason).toMatch(/rule known-incident.*'/);
  });
});
