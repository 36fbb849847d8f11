import { describe, expect, it } from 'vitest';
import type { ClassifyInput } from '../../src/triage/classify.js';
import {
  type Example,
  featuresOf,
  LearnedOpinion,
  MIN_FEATURES,
  opinionText,
  type Weighed,
} from '../../src/triage/learned-opinion.js';
import { builtInOpinion, shippedExamples } from '../../src/triage/learned-opinion-store.js';
import { priorityOf, weighOpinion } from '../../src/triage/opinion-step.js';
import type { Rule } from '../../src/triage/rule-schema.js';
import type { RulesOutcome } from '../../src/triage/rules-engine.js';
import { readScope } from '../../src/triage/scope.js';
import { builtInCatalogue } from '../../src/triage/services.js';
import { prepareText } from '../../src/triage/text-match.js';
import { defaultRules } from '../../src/triage/triage-config.js';
import type { Category } from '../../src/vocabulary.js';
import { triageMail as mailTriaged, readSet, scoreSet } from '../support/triage-sets.js';

// The learned second opinion: what it reads of a text, how it weighs it, and how it settles with the rules.

const filler = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

/** Examples whose words say their category, with enough shared filler for every text to be weighed. */
const examples: Example[] = [
  {
    subject: 'crash',
    text: `Word crashes on every PC after the update. ${filler(20)}`,
    category: 'ms_bug_or_anomaly',
  },
  {
    subject: 'crash',
    text: `Excel crashes for everyone when saving. ${filler(20)}`,
    category: 'ms_bug_or_anomaly',
  },
  {
    subject: 'licences',
    text: `Please add ten licences to our order. ${filler(20)}`,
    category: 'billing_subscription',
  },
  {
    subject: 'invoice',
    text: `The invoice shows the wrong number of licences. ${filler(20)}`,
    category: 'billing_subscription',
  },
  { subject: 'thanks', text: `Thank you, it works again. ${filler(20)}`, category: 'unclassified' },
  {
    subject: 'outage',
    text: `Outlook on the web shows nothing for the whole office. ${filler(20)}`,
    category: 'known_incident',
  },
];

const mailboxIncident = {
  id: 'EX1',
  serviceId: 'exchange',
  service: 'Exchange Online',
  title: "Users can't access mailboxes via Outlook on the web",
  status: 'serviceDegradation',
  updatedAt: new Date(),
  link: null,
};
const meetingsIncident = {
  ...mailboxIncident,
  id: 'TM1',
  serviceId: 'teams',
  service: 'Microsoft Teams',
  title: 'Users may be unable to join meetings',
};

/** What weighOpinion reads of a contact with no incident found by service health. */
const readOf = (plain: string, weighed: () => Weighed[]) => ({
  weighed,
  incidents: [] as (typeof mailboxIncident)[],
  text: prepareText(plain),
  fullText: plain,
  opinionWords: new Map<string, string[]>(),
  catalogue: builtInCatalogue,
  facts: { scope: readScope(prepareText(plain)) },
});

/** A direct customer's verified mail, triaged with the shipped rules and opinion unless told otherwise. */
const triageMail = (subject: string, body: string, more: Partial<ClassifyInput> = {}) =>
  mailTriaged(subject, body, { opinion: builtInOpinion(), ...more });

function outcome(category: Category | undefined, ruleId?: string, priority?: 'low' | 'high'): RulesOutcome {
  const hit = ruleId ? { ruleId, ruleName: ruleId, matched: [], actions: { category, priority } } : undefined;
  return {
    category,
    priority,
    tags: [],
    hits: hit ? [hit] : [],
    setBy: { ...(hit && category ? { category: hit } : {}), ...(hit && priority ? { priority: hit } : {}) },
  };
}

const rule = (id: string, category: Category, extra: Partial<Rule> = {}): Rule => ({
  id,
  name: id,
  enabled: true,
  all: [{ type: 'text', field: 'any', anyOf: ['x'] }],
  any: [],
  actions: { category, priority: 'normal', stop: true },
  ...extra,
});

describe('learned opinion', () => {
  it('reads English as words and pairs of words, Japanese as kanji and pairs of characters', () => {
    const f = featuresOf(prepareText('Teams crashes: 会議に参加できない').plain);
    expect(f).toContain('teams');
    expect(f).toContain('teams crashes');
    expect(f).toContain('会議');
    expect(f).toContain('参');
    expect(f).toContain('に参');
    expect(f).not.toContain('に');
  });

  it('leaves the signature out of what it reads', () => {
    const text = opinionText('Hello', 'Word crashes.\n\nRegards,\nTaro\nLiffey Payments');
    expect(text).toContain('crashes');
    expect(text).not.toContain('payments');
  });

  it('ranks the category whose words the text has, with probabilities that add up to one', () => {
    const o = LearnedOpinion.train(examples);
    expect(o.examples).toBe(examples.length);
    const ranked = o.weigh(opinionText('Help', `PowerPoint crashes on every PC. ${filler(30)}`));
    expect(ranked[0]?.category).toBe('ms_bug_or_anomaly');
    expect(ranked.reduce((s, w) => s + w.p, 0)).toBeCloseTo(1, 9);
    expect(
      o.wordsFor(opinionText('Help', 'PowerPoint crashes on every PC.'), 'ms_bug_or_anomaly', 'unclassified'),
    ).toContain('crashes');
  });

  it(`gives no opinion on a text with fewer than ${MIN_FEATURES} words it knows`, () => {
    const o = LearnedOpinion.train(examples);
    expect(o.weigh(opinionText('', 'Word crashes on every PC.'))).toEqual([]);
  });

  it('overrules a rule it disagrees with, quoting its words, and takes the priority the rules give its category', () => {
    const o = LearnedOpinion.train(examples);
    const plain = opinionText('Help', `Excel crashes on every PC after the update. ${filler(30)}`);
    const read = readOf(plain, () => o.weigh(plain));
    const rules = [
      rule('billing', 'billing_subscription'),
      rule('bugs', 'ms_bug_or_anomaly', { actions: { category: 'ms_bug_or_anomaly', priority: 'high' } }),
    ];
    const second = weighOpinion(
      { rules, opinion: o, incidents: [] },
      read,
      outcome('billing_subscription', 'billing', 'low'),
    );
    expect(second).toMatchObject({ category: 'ms_bug_or_anomaly', overruled: true });
    expect(second.step?.reason).toMatch(
      /ms_bug_or_anomaly \(\d+%, learned from 6 labelled contacts\); its words .*'crashes'.*; rule billing said billing_subscription/,
    );
    expect(
      priorityOf('ms_bug_or_anomaly', true, outcome('billing_subscription', 'billing', 'low'), rules),
    ).toMatchObject({
      priority: 'high',
    });
    // A priority from a rule of its own (a plan's, say) stays.
    const planPriority: RulesOutcome = {
      ...outcome('billing_subscription', 'billing'),
      priority: 'urgent',
      setBy: {
        category: { ruleId: 'billing', ruleName: 'b', matched: [], actions: {} },
        priority: { ruleId: 'vip', ruleName: 'v', matched: [], actions: {} },
      },
    };
    expect(priorityOf('ms_bug_or_anomaly', true, planPriority, rules).priority).toBe('urgent');
  });

  it('does not overrule a firm rule, says so, and agrees when it agrees', () => {
    const o = LearnedOpinion.train(examples);
    const plain = opinionText('Help', `Excel crashes on every PC after the update. ${filler(30)}`);
    const read = readOf(plain, () => o.weigh(plain));
    const firm = [rule('billing', 'billing_subscription', { firm: true })];
    const kept = weighOpinion(
      { rules: firm, opinion: o, incidents: [] },
      read,
      outcome('billing_subscription', 'billing'),
    );
    expect(kept).toMatchObject({
      category: 'billing_subscription',
      overruled: false,
      step: { result: 'not asked' },
    });
    expect(kept.step?.reason).toMatch(/rule billing is firm/);
    const same = weighOpinion(
      { rules: [], opinion: o, incidents: [] },
      read,
      outcome('ms_bug_or_anomaly', 'bugs'),
    );
    expect(same).toMatchObject({
      category: 'ms_bug_or_anomaly',
      overruled: false,
      step: { result: 'agrees' },
    });
  });

  it('does not overrule a rule that found some users affected into a category that means everyone', () => {
    const o = LearnedOpinion.train([
      ...examples,
      ...['Sign-in fails for all staff since nine.', 'Nobody can sign in to Exchange Online at all.'].map(
        (text) => ({
          subject: 'down',
          text: `${text} ${filler(20)}`,
          category: 'ms_service_unavailable' as const,
        }),
      ),
    ]);
    const plain = opinionText('down', `A few people cannot sign in to Exchange Online at all. ${filler(30)}`);
    const read = readOf(plain, () => o.weigh(plain));
    expect(read.weighed()[0]?.category).toBe('ms_service_unavailable');
    const some = rule('some-users', 'configuration', { all: [{ type: 'scope', anyOf: ['some'] }] });
    const kept = weighOpinion(
      { rules: [some], opinion: o, incidents: [] },
      read,
      outcome('configuration', 'some-users'),
    );
    expect(kept).toMatchObject({
      category: 'configuration',
      overruled: false,
      step: { result: 'not taken' },
    });
    expect(kept.step?.reason).toMatch(/rule some-users found that some users are affected/);
    // A rule that did not decide by who is affected is overruled as before.
    const other = weighOpinion(
      { rules: [rule('settings', 'configuration')], opinion: o, incidents: [] },
      read,
      outcome('configuration', 'settings'),
    );
    expect(other).toMatchObject({ category: 'ms_service_unavailable', overruled: true });
  });

  it('says known_incident only when service health found an incident for the text', () => {
    const o = LearnedOpinion.train(examples);
    const plain = opinionText(
      'Outage',
      `Outlook on the web shows nothing for the whole office. ${filler(30)}`,
    );
    const weighed = o.weigh(plain);
    expect(weighed[0]?.category).toBe('known_incident');
    const read = readOf(plain, () => weighed);
    const none = weighOpinion(
      { rules: [], opinion: o, incidents: [meetingsIncident] },
      read,
      outcome(undefined),
    );
    expect(none.category).not.toBe('known_incident');
    expect(none.step?.reason).toMatch(/service health found no incident for the text; next /);
    const found = weighOpinion(
      { rules: [], opinion: o, incidents: [mailboxIncident] },
      { ...read, incidents: [mailboxIncident] },
      outcome(undefined),
    );
    expect(found).toMatchObject({ category: 'known_incident', overruled: true });
  });

  it('takes known_incident for the one active incident whose symptom the text describes without naming its service', () => {
    const o = LearnedOpinion.train(examples);
    const plain = opinionText(
      'Outage',
      `The web mail shows nothing for the whole office, the inbox never loads. ${filler(30)}`,
    );
    const read = readOf(plain, () => o.weigh(plain));
    const second = weighOpinion(
      { rules: [], opinion: o, incidents: [meetingsIncident, mailboxIncident] },
      read,
      outcome(undefined),
    );
    expect(second).toMatchObject({ category: 'known_incident', incident: { id: 'EX1' } });
    expect(second.step?.reason).toMatch(/describes the symptom of EX1 without naming Exchange Online/);
  });

  it('does not take an incident for a symptom the text gives another service it names', () => {
    const mail = { ...mailboxIncident, id: 'EX9', title: 'Users may be unable to send or receive email' };
    const c = triageMail(
      'チャットが送れません',
      '今朝から全員が Teams のチャットでメッセージを送信できません。送信ボタンを押すとぐるぐる回ったまま止まり、数分後に「送信できませんでした」と表示されます。パソコンでもスマートフォンでも同じで、再起動しても変わりません。全社の業務に影響が出ています。至急確認をお願いします。',
      { locale: 'ja', incidents: [mail] },
    );
    expect(c.incident).toBeNull();
    expect(c.tags).not.toContain('incident:EX9');
  });

  it('leaves a contact that asks two things to the rules, which triage it by the part Microsoft must fix', () => {
    const c = triageMail(
      'Licences and an outage',
      'Hello, we would like to buy ten more Microsoft 365 E3 licences for our new sales team and please send us a quote and the invoice for the renewal of our subscription next month. We also want to know the price per user for Copilot and whether we can change our plan. Also, Teams is down for all of our users since 9am: nobody can sign in from any network.',
    );
    expect(c.tags.some((t) => t.startsWith('partner-part:'))).toBe(true);
    expect(c.category).not.toBe('billing_subscription');
    expect(c.steps.find((s) => s.step === 'opinion')).toMatchObject({ result: 'not asked' });
  });

  it('drops the handling and template that came with the rule whose category it overruled', () => {
    const o = LearnedOpinion.train(examples);
    const rules = [
      rule('wrong', 'billing_subscription', {
        all: [{ type: 'text', field: 'any', anyOf: ['excel'] }],
        actions: { category: 'billing_subscription', handling: 'partner', template: 'ack', stop: true },
      }),
    ];
    const c = triageMail('Help', `Excel crashes on every PC after the update. ${filler(30)}`, {
      rules,
      opinion: o,
    });
    expect(c).toMatchObject({ category: 'ms_bug_or_anomaly', handling: 'microsoft', template: null });
  });

  it('holds on sets it did not learn from: each shipped set weighed by an opinion learned from the others', () => {
    const sets = Array.from({ length: 14 }, (_, i) => readSet(`contacts-${i + 1}.json`));
    const asExample = (c: (typeof sets)[number]['contacts'][number]) => ({
      subject: c.subject,
      text: c.text,
      category: c.expected.category as Category,
    });
    let right = 0;
    let total = 0;
    const lines: string[] = [];
    for (const set of sets) {
      const o = LearnedOpinion.train(sets.filter((s) => s !== set).flatMap((s) => s.contacts.map(asExample)));
      const alone = set.contacts.filter(
        (c) => o.weigh(opinionText(c.subject, c.text))[0]?.category === c.expected.category,
      ).length;
      right += alone;
      total += set.contacts.length;
      const both = scoreSet(set, defaultRules(), o);
      lines.push(
        `${set.name}: the opinion alone ${((100 * alone) / set.contacts.length).toFixed(1)}%, with the rules ${(100 * both.category).toFixed(1)}% / ${(100 * both.handling).toFixed(1)}%`,
      );
    }
    lines.push(`all: the opinion alone ${right}/${total} = ${((100 * right) / total).toFixed(1)}%`);
    console.log(lines.join('\n'));
    expect(shippedExamples()).toHaveLength(total);
    expect(right / total).toBeGreaterThanOrEqual(0.85);
  });
});
