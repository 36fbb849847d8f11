import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { sentencesAbout } from '../../src/triage/classify.js';
import { type Rule, ruleSchema, ruleSetSchema } from '../../src/triage/rule-schema.js';
import { type RuleFacts, runRules } from '../../src/triage/rules-engine.js';
import { readScope } from '../../src/triage/scope.js';
import { prepareText } from '../../src/triage/text-match.js';

function facts(text: string, over: Partial<RuleFacts> = {}): RuleFacts {
  const t = prepareText(text);
  return {
    channel: 'email',
    customerId: 'c1',
    relationship: 'direct',
    planId: null,
    locale: 'ja',
    subject: prepareText(''),
    body: t,
    text: t,
    incidentText: prepareText(''),
    services: [],
    incidentIds: [],
    withinHours: true,
    verified: true,
    scope: readScope(t),
    ...over,
  };
}
type RuleInput = z.input<typeof ruleSchema>;
const rule = (r: Partial<RuleInput> & Pick<RuleInput, 'id' | 'actions'>): Rule =>
  ruleSchema.parse({ name: r.id, all: [{ type: 'text', anyOf: ['x'] }], ...r });

describe('runRules', () => {
  it('lets the first rule that sets a field win it, adds up tags, and stops at stop', () => {
    const rules = [
      rule({ id: 'a', all: [{ type: 'text', anyOf: ['ライセンス'] }], actions: { tags: ['licence'] } }),
      rule({
        id: 'b',
        all: [{ type: 'text', anyOf: ['追加'] }],
        actions: { category: 'billing_subscription', tags: ['add'] },
      }),
      rule({
        id: 'c',
        all: [{ type: 'text', anyOf: ['追加'] }],
        actions: { category: 'how_to', priority: 'low', stop: true },
      }),
      rule({ id: 'd', all: [{ type: 'text', anyOf: ['追加'] }], actions: { priority: 'urgent' } }),
    ];
    const out = runRules(rules, facts('ライセンスを追加したい'));
    expect(out.category).toBe('billing_subscription');
    expect(out.priority).toBe('low');
    expect(out.tags).toEqual(['licence', 'add']);
    expect(out.hits.map((h) => h.ruleId)).toEqual(['a', 'b', 'c']);
    expect(out.setBy.category?.matched).toEqual(['追加']);
  });

  it('runs two rule sets on the same facts each with its own rules: shared conditions alike, changed ones anew', () => {
    const f = facts('請求書の金額が違います');
    const a = [
      rule({
        id: 'x',
        all: [{ type: 'text', anyOf: ['請求書'] }],
        actions: { category: 'billing_subscription' },
      }),
    ];
    const sameConditions = [
      rule({ id: 'y', all: [{ type: 'text', anyOf: ['請求書'] }], actions: { category: 'how_to' } }),
    ];
    const changed = [
      rule({
        id: 'x',
        all: [{ type: 'text', anyOf: ['見積'] }],
        actions: { category: 'billing_subscription' },
      }),
    ];
    expect(runRules(a, f).category).toBe('billing_subscription');
    expect(runRules(sameConditions, f)).toMatchObject({
      category: 'how_to',
      hits: [{ ruleId: 'y', matched: ['請求書'] }],
    });
    expect(runRules(changed, f).category).toBeUndefined();
    expect(runRules(a, facts('見積をください')).category).toBeUndefined();
  });

  it('skips disabled rules', () => {
    const out = runRules([rule({ id: 'off', enabled: false, actions: { category: 'how_to' } })], facts('x'));
    expect(out.category).toBe(undefined);
  });

  it('matches full-width, half-width katakana and spaced Japanese after NFKC', () => {
    const r = [
      rule({
        id: 'j',
        all: [{ type: 'text', anyOf: ['サインインできません', 'エラー', 'sharepoint'] }],
        actions: { category: 'configuration' },
      }),
    ];
    expect(runRules(r, facts('サインイン できません')).category).toBe('configuration');
    expect(runRules(r, facts('ｴﾗｰが出ます')).category).toBe('configuration');
    expect(runRules(r, facts('ＳｈａｒｅＰｏｉｎｔ')).category).toBe('configuration');
  });

  it('runs admin regexes in linear time (RE2), even a pattern that backtracks forever elsewhere', () => {
    const r = [
      rule({ id: 'r', all: [{ type: 'text', regex: '(\\w|\\d)+x' }], actions: { category: 'how_to' } }),
    ];
    expect(runRules(r, facts('1'.repeat(50_000))).category).toBe(undefined);
    expect(runRules(r, facts('abc123x')).hits[0]?.matched).toEqual(['abc123x']);
  });

  it('combines all (every condition) and any (one is enough), and reads relationship, hours and incidents', () => {
    const r = [
      rule({
        id: 'combo',
        all: [
          { type: 'relationship', is: 'indirect' },
          { type: 'businessHours', is: 'closed' },
        ],
        any: [
          { type: 'incident', is: true },
          { type: 'text', anyOf: ['至急'] },
        ],
        actions: { priority: 'urgent' },
      }),
    ];
    expect(runRules(r, facts('至急', { relationship: 'indirect', withinHours: false })).priority).toBe(
      'urgent',
    );
    expect(runRules(r, facts('至急', { relationship: 'direct', withinHours: false })).priority).toBe(
      undefined,
    );
    expect(
      runRules(r, facts('x', { relationship: 'indirect', withinHours: false, incidentIds: ['EX1'] }))
        .priority,
    ).toBe('urgent');
    expect(runRules(r, facts('x', { relationship: 'indirect', withinHours: false })).priority).toBe(
      undefined,
    );
  });
});

describe('rule validation', () => {
  it('names the field at fault', () => {
    const bad = ruleSetSchema.safeParse([
      { id: 'ok', name: 'ok', all: [{ type: 'text', anyOf: ['x'] }], actions: { category: 'how_to' } },
      { id: 'ok', name: 'dup', all: [{ type: 'text', regex: '(?<=x)y' }], actions: { category: 'nope' } },
    ]);
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('1.all.0.regex');
    expect(paths).toContain('1.actions.category');
    const dup = ruleSetSchema.safeParse([
      { id: 'ok', name: 'ok', all: [{ type: 'text', anyOf: ['x'] }], actions: { category: 'how_to' } },
      { id: 'ok', name: 'again', all: [{ type: 'text', anyOf: ['y'] }], actions: { category: 'how_to' } },
    ]);
    expect(dup.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      '1.id: duplicate rule id ok',
    ]);
  });

  it('rejects a rule without conditions or actions, and unknown fields', () => {
    expect(ruleSchema.safeParse({ id: 'a', name: 'a', actions: { category: 'how_to' } }).success).toBe(false);
    expect(
      ruleSchema.safeParse({ id: 'a', name: 'a', all: [{ type: 'verified', is: true }], actions: {} })
        .success,
    ).toBe(false);
    expect(
      ruleSchema.safeParse({
        id: 'a',
        name: 'a',
        all: [{ type: 'verified', is: true }],
        actions: { category: 'how_to' },
        extra: 1,
      }).success,
    ).toBe(false);
  });
});

describe('sentencesAbout: the sentences about a service with an active incident', () => {
  const teams = new Set(['teams']);
  it('takes the sentence naming the service and the next one when it names no other service', () => {
    expect(sentencesAbout('Teams について。会議に参加できません。請求書もください。', teams)).toBe(
      'Teams について。\n会議に参加できません。',
    );
  });
  it('leaves out a sentence about another service', () => {
    expect(sentencesAbout('Teams works fine. SharePoint is down for everyone. Nothing opens.', teams)).toBe(
      'Teams works fine.',
    );
  });
  it('has nothing when no sentence names the service', () => {
    expect(sentencesAbout('OneDrive の同期ができません。', teams)).toBe('');
  });
});

describe('a text condition on the incident sentences', () => {
  const r = rule({
    id: 'known',
    all: [
      { type: 'incident', is: true },
      { type: 'text', field: 'incident', anyOf: ['down', 'できません'] },
    ],
    actions: { category: 'known_incident' },
  });
  it('matches a problem word in a sentence about the incident service', () => {
    const f = facts('', { incidentIds: ['TM1'], incidentText: prepareText('Teams meetings are down') });
    expect(runRules([r], f).category).toBe('known_incident');
  });
  it('does not match a problem word elsewhere in the text', () => {
    const f = facts('Teams works. SharePoint is down.', {
      incidentIds: ['TM1'],
      incidentText: prepareText('Teams works.'),
    });
    expect(runRules([r], f).category).toBeUndefined();
  });
});
