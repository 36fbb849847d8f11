import { describe, expect, it } from 'vitest';
import { builtInOpinion } from '../../src/triage/learned-opinion-store.js';
import { defaultRules } from '../../src/triage/triage-config.js';
import { categories } from '../../src/vocabulary.js';
import { classifyContact, readSet, scoreSet } from '../support/triage-sets.js';

// Triage (the default rules and the learned opinion) against labelled sets of realistic contacts (ja and en,
// mail and chat, hard negatives), written from public posts by Microsoft 365 and Azure users.
// contacts-1 to -9 (src/triage/examples/): the sets the default rules were tuned on and the opinion learns
// from. Their first measures, before anything was tuned on them or learned from them (category / handling):
// contacts-2 67.5% both, contacts-3 64.6% both, contacts-4 65.6% / 82.8%, contacts-5 66.7% / 90.0%,
// contacts-6 58.3% / 80.0%, contacts-7 66.7% / 75.0% (rules alone); contacts-8 81.7% / 90.0% and contacts-9
// 76.7% / 90.0% (rules and the opinion learned from sets 1-7; the rules alone 68.3% / 81.7% and 58.3% / 76.7%).
// final-test, unseen-2 and unseen-3: written separately, never tuned on and never learned from, so their
// figures say how triage does on wording it has not seen; they are guarded only against getting worse than
// recorded, never tuned against, or they would stop measuring anything.
const tuned = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => ({
  set: readSet(`contacts-${n}.json`),
  floor: 0.95,
}));
const untouched = [
  { set: readSet('final-test.json'), floor: { category: 0.92, handling: 0.96 } },
  { set: readSet('unseen-2.json'), floor: { category: 0.928, handling: 0.982 } },
  { set: readSet('unseen-3.json'), floor: { category: 0.933, handling: 0.95 } },
];
const rules = defaultRules();
const opinion = builtInOpinion();
const contacts = tuned[0]!.set;

describe('triage on the labelled contacts', () => {
  it('has a realistic set: 60+ contacts, both languages, both channels, every category', () => {
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
