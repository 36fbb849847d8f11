import { describe, expect, it } from 'vitest';
import { defaultRules } from '../../src/triage/triage-config.js';
import { categories } from '../../src/vocabulary.js';
import { classifyContact, readSet, scoreSet } from '../support/triage-sets.js';

// The default rules against labelled sets of realistic contacts (ja and en, mail and chat, hard negatives).
// contacts and contacts-2 to -7: the sets the default rules were written and tuned against (category /
// handling before tuning on them: contacts-2 67.5% both, contacts-3 64.6% both, contacts-4 65.6% / 82.8%,
// contacts-5 66.7% / 90.0%, contacts-6 58.3% / 80.0%, contacts-7 66.7% / 75.0%). final-test, unseen-2 and
// unseen-3: written separately and never used for tuning, so their figures say how the rules do on wording
// they have not seen; they are guarded only against getting worse than recorded, never tuned against, or
// they would stop measuring anything.
const tuned = [
  { set: readSet('contacts.json'), floor: 0.95 },
  { set: readSet('contacts-2.json'), floor: 0.95 },
  { set: readSet('contacts-3.json'), floor: 0.95 },
  { set: readSet('contacts-4.json'), floor: 0.95 },
  { set: readSet('contacts-5.json'), floor: 0.95 },
  { set: readSet('contacts-6.json'), floor: 0.95 },
  { set: readSet('contacts-7.json'), floor: 0.95 },
];
const untouched = [
  { set: readSet('final-test.json'), floor: { category: 0.86, handling: 0.88 } },
  { set: readSet('unseen-2.json'), floor: { category: 0.696, handling: 0.785 } },
  { set: readSet('unseen-3.json'), floor: { category: 0.783, handling: 0.966 } },
];
const rules = defaultRules();
const contacts = tuned[0]!.set;

describe('default rules on the labelled contacts', () => {
  it('has a realistic set: 60+ contacts, both languages, both channels, every category', () => {
    for (const set of [contacts, ...tuned.slice(3).map((t) => t.set)]) {
      expect(set.contacts.length).toBeGreaterThanOrEqual(60);
      expect(new Set(set.contacts.map((c) => c.locale))).toEqual(new Set(['ja', 'en']));
      expect(new Set(set.contacts.map((c) => c.channel))).toEqual(new Set(['email', 'chat']));
      for (const cat of categories)
        expect(
          set.contacts.some((c) => c.expected.category === cat),
          `${set.name} ${cat}`,
        ).toBe(true);
    }
  });

  for (const { set, floor } of tuned) {
    it(`classifies at least ${floor * 100}% of ${set.name} (a tuned set) right on category and handling, printing the confusion table`, () => {
      const score = scoreSet(set, rules);
      console.log(score.report);
      expect(score.category).toBeGreaterThanOrEqual(floor);
      expect(score.handling).toBeGreaterThanOrEqual(floor);
    });
  }

  for (const { set, floor } of untouched) {
    it(`keeps ${set.name} (never tuned on) at or above its recorded accuracy, printing the confusion table`, () => {
      expect(set.contacts.length).toBeGreaterThanOrEqual(50);
      const score = scoreSet(set, rules);
      console.log(score.report);
      expect(score.category).toBeGreaterThanOrEqual(floor.category);
      expect(score.handling).toBeGreaterThanOrEqual(floor.handling);
    });
  }

  it('tags a known incident with its id and explains each decision with the rule and the words', () => {
    const c = classifyContact(
      {
        id: 'x',
        channel: 'email',
        locale: 'ja',
        relationship: 'direct',
        subject: 'Exchange Online にサインインできません',
        text: '全社で 503 エラーが出ています。',
        expected: { category: 'known_incident', handling: 'partner' },
      },
      contacts.incidents,
      rules,
    );
    expect(c.category).toBe('known_incident');
    expect(c.tags).toContain('incident:EX123456');
    expect(c.incident?.id).toBe('EX123456');
    const category = c.steps.find((s) => s.step === 'category');
    expect(category?.reason).toMatch(/rule known-incident.*'/);
  });
});
