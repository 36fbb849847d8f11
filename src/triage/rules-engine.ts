import { RE2JS } from 're2js';
import type { Channel, Locale } from '../vocabulary.js';
import type { Condition, Rule, RuleActions } from './rule-schema.js';
import type { ScopeReading } from './scope.js';
import { firstKeyword, hasAllKeywords, type MatchText } from './text-match.js';

// A small typed evaluator: rules in order, the first rule to set a field wins it, tags add up, `stop` ends
// the run. Every hit says which rule and which words, so a person can see why a case went where it went.

export interface RuleFacts {
  channel: Channel;
  customerId: string | null;
  relationship: 'direct' | 'indirect' | null;
  planId: string | null;
  locale: Locale;
  subject: MatchText;
  body: MatchText;
  /** Subject and body together. */
  text: MatchText;
  /** The sentences about a service with an active incident (empty when there is none). */
  incidentText: MatchText;
  services: Array<{ id: string; matched: string }>;
  /** Active incidents of the services mentioned. */
  incidentIds: string[];
  withinHours: boolean;
  verified: boolean;
  /** Who the text says is affected. */
  scope: ScopeReading;
}

export interface RuleHit {
  ruleId: string;
  ruleName: string;
  matched: string[];
  actions: RuleActions;
}

export interface RulesOutcome {
  category?: RuleActions['category'];
  priority?: RuleActions['priority'];
  handling?: RuleActions['handling'];
  template?: RuleActions['template'];
  tags: string[];
  hits: RuleHit[];
  /** For each field set, the rule that set it. */
  setBy: Partial<Record<'category' | 'priority' | 'handling' | 'template', RuleHit>>;
}

const regexCache = new Map<string, RE2JS>();
function compiled(source: string): RE2JS {
  let re = regexCache.get(source);
  if (!re) {
    re = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
    if (regexCache.size > 5000) regexCache.clear();
    regexCache.set(source, re);
  }
  return re;
}

/** Whether one condition holds, and the words that made it hold (for text and service conditions). */
export function testCondition(c: Condition, f: RuleFacts): { ok: boolean; matched?: string } {
  switch (c.type) {
    case 'text': {
      const text =
        c.field === 'subject'
          ? f.subject
          : c.field === 'body'
            ? f.body
            : c.field === 'incident'
              ? f.incidentText
              : f.text;
      const words: string[] = [];
      if (c.noneOf && firstKeyword(text, c.noneOf)) return { ok: false };
      if (c.allOf) {
        if (!hasAllKeywords(text, c.allOf)) return { ok: false };
        words.push(...c.allOf);
      }
      if (c.anyOf) {
        const k = firstKeyword(text, c.anyOf);
        if (!k) return { ok: false };
        words.push(k);
      }
      if (c.regex) {
        // test() runs on RE2's DFA; the matcher (for the words that matched) only when there is a match.
        const re = compiled(c.regex);
        if (!re.test(text.plain)) return { ok: false };
        const m = re.matcher(text.plain);
        words.push(m.find() ? (m.group() ?? '') : '');
      }
      return { ok: true, matched: words.join(' + ') };
    }
    case 'channel':
      return { ok: c.anyOf.includes(f.channel) };
    case 'customer':
      return { ok: f.customerId !== null && c.anyOf.includes(f.customerId) };
    case 'relationship':
      return { ok: f.relationship === c.is };
    case 'plan':
      return { ok: f.planId !== null && c.anyOf.includes(f.planId) };
    case 'locale':
      return { ok: f.locale === c.is };
    case 'service': {
      const hit = f.services.find((s) => !c.anyOf || c.anyOf.includes(s.id));
      return hit ? { ok: true, matched: hit.matched } : { ok: false };
    }
    case 'incident':
      return { ok: f.incidentIds.length > 0 === c.is, matched: f.incidentIds.join(', ') || undefined };
    case 'scope':
      return c.anyOf.includes(f.scope.scope)
        ? { ok: true, matched: f.scope.matched.join(' + ') || undefined }
        : { ok: false };
    case 'businessHours':
      return { ok: (c.is === 'open') === f.withinHours };
    case 'verified':
      return { ok: f.verified === c.is };
  }
}

function matchConditions(rule: Rule, f: RuleFacts): string[] | null {
  const matched: string[] = [];
  for (const c of rule.all) {
    const r = testCondition(c, f);
    if (!r.ok) return null;
    if (r.matched) matched.push(r.matched);
  }
  if (rule.any.length) {
    let anyHit = false;
    for (const c of rule.any) {
      const r = testCondition(c, f);
      if (r.ok) {
        anyHit = true;
        if (r.matched) matched.push(r.matched);
        break;
      }
    }
    if (!anyHit) return null;
  }
  return matched;
}

function claim<F extends 'category' | 'priority' | 'handling' | 'template'>(
  out: RulesOutcome,
  field: F,
  value: NonNullable<RulesOutcome[F]>,
  hit: RuleHit,
): void {
  out[field] = value;
  out.setBy[field] = hit;
}

// A dry run runs two rule sets over the same contact, and most of their rules are alike (as objects they are
// not: each set is parsed on its own). Whether a rule matches is kept per facts object under the rule's
// conditions as JSON, so a rule both sets share is tested once per contact.
const conditionsKeys = new WeakMap<Rule, string>();
const matchesByFacts = new WeakMap<RuleFacts, Map<string, string[] | null>>();

function conditionsKey(rule: Rule): string {
  let key = conditionsKeys.get(rule);
  if (key === undefined) {
    key = JSON.stringify([rule.all, rule.any]);
    conditionsKeys.set(rule, key);
  }
  return key;
}

/** The words that made each condition of the rule hold, or null when the rule does not match. */
export function ruleMatches(rule: Rule, f: RuleFacts): string[] | null {
  let known = matchesByFacts.get(f);
  if (!known) {
    known = new Map();
    matchesByFacts.set(f, known);
  }
  const key = conditionsKey(rule);
  let matched = known.get(key);
  if (matched === undefined) {
    matched = matchConditions(rule, f);
    known.set(key, matched);
  }
  return matched;
}

export function runRules(rules: readonly Rule[], f: RuleFacts): RulesOutcome {
  const out: RulesOutcome = { tags: [], hits: [], setBy: {} };
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const matched = ruleMatches(rule, f);
    if (!matched) continue;
    const hit: RuleHit = { ruleId: rule.id, ruleName: rule.name, matched, actions: rule.actions };
    out.hits.push(hit);
    // The first rule to set a field wins it.
    const a = rule.actions;
    if (a.category !== undefined && out.category === undefined) claim(out, 'category', a.category, hit);
    if (a.priority !== undefined && out.priority === undefined) claim(out, 'priority', a.priority, hit);
    if (a.handling !== undefined && out.handling === undefined) claim(out, 'handling', a.handling, hit);
    if (a.template !== undefined && out.template === undefined) claim(out, 'template', a.template, hit);
    for (const t of rule.actions.tags ?? []) if (!out.tags.includes(t)) out.tags.push(t);
    if (rule.actions.stop) break;
  }
  return out;
}
