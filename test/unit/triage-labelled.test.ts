import { describe, expect, it } from 'vitest';
import { builtInOpinion } from '../../src/triage/learned-opinion-store.js';
import { defaultRules } from '../../src/triage/triage-config.js';
import { categories } from '../../src/vocabulary.js';
import { classifyContact, readSet, scoreSet } from '../support/triage-sets.js';

// Triage (the default rules and the learned opinion) against labelled sets of realistic contacts (ja and en,
// mail and chat, hard negatives), written from public posts by Microsoft 365 and Azure users.
// contacts-1 to -14 (src/triage/examples/): the sets the default rules were tuned on and the opinion learns
// from. Their first measures, before anything was tuned on them or learned from them (category / handling):
// contacts-2 67.5% both, contacts-3 64.6% both, contacts-4 65.6% / 82.8%, contacts-5 66.7% / 90.0%,
// contacts-6 58.3% / 80.0%, contacts-7 66.7% / 75.0% (the rules alone); with the opinion learned from the
// sets before them: contacts-8 81.7% / 90.0%, contacts-9 76.7% / 90.0% (the rules alone 68.3% / 81.7% and
// 58.3% / 76.7%), contacts-10 85.0% / 95.0%, contacts-11 78.3% / 88.3% (alone 71.7% / 86.7%, 65.0% / 75.0%),
// contacts-12 90.0% / 100%, contacts-13 93.3% / 96.7%, contacts-14 85.0% / 91.7% (alone 71.7% / 91.7%,
// 63.3% / 81.7%, 58.3% / 76.7%).
// final-test and unseen-2 to -6: written separately, never tuned on and never learned from, so their
// figures say how triage does on wording it has not seen; they are guarded only against getting worse than
// recorded, never tuned against, or they would stop measuring anything. unseen-4 and -5 were measured first
// at 83.3% / 91.7% and 81.7% / 90.0% (the rules alone 50.0% / 71.7% and 53.3% / 83.3%); unseen-6 at
// 98.3% / 98.3% (the rules alone 76.7% / 81.7%).
const tuned = Array.from({ length: 14 }, (_, i) => ({
  set: readSet(`contacts-${i + 1}.json`),
  floor: 0.95,
}));
const untouched = [
  { set: readSet('final-test.json'), floor: { category: 0.96, handling: 0.96 } },
  { set: readSet('unseen-2.json'), floor: { category: 0.91, handling: 0.982 } },
  { set: readSet('unseen-3.json'), floor: { category: 0.933, handling: 0.966 } },
  { set: readSet('unseen-4.json'), floor: { category: 0.9, handling: 0.95 } },
  { set: readSet('unseen-5.json'), floor: { category: 0.866, handling: 0.95 } },
  { set: readSet('unseen-6.json'), floor: { category: 0.983, handling: 0.983 } },
];
const rules = defaultRules();
const opinion = builtInOpinion();
const contacts = tuned[0]!.set;

describe('triage on the labelled contacts', () => {
  it('has realistic sets: 50+ contacts each, both languages, both channels, every category', () => {
    for (const set of [contacts, ...tuned.slice(3).map((t) => t.set), ...untouched.map((u) => u.set)]) {
      expect(set.contacts.length, set.name).toBeGreaterThanOrEqual(50);
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
      const score = scoreSet(set, rules, opinion);
      console.log(score.report);
      expect(score.category).toBeGreaterThanOrEqual(floor);
      expect(score.handling).toBeGreaterThanOrEqual(floor);
    });
  }

  for (const { set, floor } of untouched) {
    it(`keeps ${set.name} (never tuned on) at or above its recorded accuracy, printing the confusion table`, () => {
      const score = scoreSet(set, rules, opinion);
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
