import type { Category, Priority } from '../vocabulary.js';
import type { ActiveIncident, ClassifyInput, ClassifyStep, ReadContact } from './classify.js';
import { incidentsDescribed } from './incident-symptoms.js';
import type { LearnedOpinion } from './learned-opinion.js';
import { splitSentences } from './mixed-contact.js';
import type { Rule } from './rule-schema.js';
import type { RuleFacts, RulesOutcome } from './rules-engine.js';
import { prepareText } from './text-match.js';

// How the learned opinion and the rules settle the category. The rules read what they were written for
// (service health, who is affected, a purchase, a thank-you); the opinion weighs every word it has seen in a
// labelled contact. The opinion decides unless a firm rule set the category or it is less than even sure.
// It says "known incident" only when service health found an incident for the service and symptom named; it
// may find another symptom of that service (a bug, a thank-you, one user's problem) in what the rules took
// for the incident.

/** Below this probability the opinion does not overrule a rule. */
export const OPINION_MIN = 0.5;

/**
 * Categories that mean more than some users by definition: a whole service down for everyone, network trouble
 * at many sites, several tenants. Scope comes before a hand-over: a rule that decided by who is affected (one
 * user, some users) is not overruled into one of these.
 */
const beyondSomeUsers = new Set<Category>([
  'ms_service_unavailable',
  'ms_network_disruption',
  'ms_regional_multitenant',
]);

/** Whether the rule holds only for one user or some users affected (a scope condition says so). */
function decidedBySomeUsers(rule: Rule | undefined): boolean {
  return (
    rule?.all.some((c) => c.type === 'scope' && c.anyOf.every((s) => s === 'one' || s === 'some')) ?? false
  );
}

const pct = (p: number) => `${Math.round(p * 100)}%`;
const quoteAll = (words: string[]) => words.map((w) => `'${w}'`).join(', ');

export interface SecondOpinion {
  category: Category;
  /** The opinion set a category other than the rules'. */
  overruled: boolean;
  step: ClassifyStep | null;
  /** The incident whose symptom the text describes without naming its service, when that made it known_incident. */
  incident?: ActiveIncident;
}

/**
 * The sentences before the first that names a service: from there on the text is about the service it names
 * ("全員が Teams のチャットで送信できません。送信ボタンが…" is about Teams chat, not mail delivery).
 */
function beforeAnyService(read: Pick<ReadContact, 'fullText' | 'catalogue'>): string[] {
  const out: string[] = [];
  for (const sentence of splitSentences(read.fullText)) {
    if (read.catalogue.mentioned(prepareText(sentence)).length > 0) break;
    out.push(sentence);
  }
  return out;
}

/**
 * What the opinion picks: its most likely category, but known_incident only with an incident: one service
 * health found for a service the text names, or the one active incident whose symptom the text describes.
 */
function pickOf(
  input: Pick<ClassifyInput, 'incidents'>,
  read: Pick<ReadContact, 'weighed' | 'incidents' | 'fullText' | 'catalogue'>,
) {
  const weighed = read.weighed();
  const top = weighed?.[0];
  if (!top) return null;
  if (top.category !== 'known_incident' || read.incidents.length > 0) return { pick: top, note: '' };
  const described = input.incidents.length ? incidentsDescribed(input.incidents, beforeAnyService(read)) : [];
  if (described.length === 1) {
    const i = described[0]!;
    return {
      pick: top,
      incident: i,
      note: `: the text describes the symptom of ${i.id} without naming ${i.service}`,
    };
  }
  const next = weighed!.find((w) => w.category !== 'known_incident');
  if (!next) return null;
  return {
    pick: next,
    note: `: service health found no incident for the text; next ${next.category} (${pct(next.p)})`,
  };
}

/** The opinion's words for `chosen` over `other`, found once per contact read (a dry run classifies it twice). */
function wordsOnce(
  opinion: LearnedOpinion,
  read: Pick<ReadContact, 'text' | 'opinionWords'>,
  chosen: Category,
  other: Category,
): string[] {
  const key = `${chosen}>${other}`;
  let words = read.opinionWords.get(key);
  if (!words) {
    words = opinion.wordsFor(read.text.plain, chosen, other);
    read.opinionWords.set(key, words);
  }
  return words;
}

export function weighOpinion(
  input: Pick<ClassifyInput, 'rules' | 'opinion' | 'incidents'>,
  read: Pick<ReadContact, 'weighed' | 'incidents' | 'text' | 'fullText' | 'opinionWords' | 'catalogue'> & {
    facts: Pick<RuleFacts, 'scope'>;
  },
  outcome: RulesOutcome,
  partnerPart: string | null = null,
): SecondOpinion {
  const ruled: Category = outcome.category ?? 'unclassified';
  const step = (result: string, reason: string): ClassifyStep => ({ step: 'opinion', result, reason });
  if (!input.opinion) return { category: ruled, overruled: false, step: null };
  const byRule = outcome.setBy.category?.ruleId;
  // A firm rule's category stands: the opinion is not even weighed.
  if (byRule !== undefined && input.rules.find((r) => r.id === byRule)?.firm === true) {
    return { category: ruled, overruled: false, step: step('not asked', `rule ${byRule} is firm`) };
  }
  // The opinion reads the whole text, the part set aside too: the rules' reading of the rest stands.
  if (partnerPart) {
    return {
      category: ruled,
      overruled: false,
      step: step(
        'not asked',
        `the contact asks two things; the rules triaged the part apart from ${partnerPart}`,
      ),
    };
  }
  const picked = pickOf(input, read);
  if (!picked) return { category: ruled, overruled: false, step: null };
  const { pick, incident } = picked;
  const top = read.weighed()![0]!;
  const said = `${top.category} (${pct(top.p)}, learned from ${input.opinion.examples} labelled contacts)${picked.note}`;
  if (pick.category === ruled) {
    return { category: ruled, overruled: false, step: step('agrees', `${said}: agrees`) };
  }
  const setter = byRule === undefined ? undefined : input.rules.find((r) => r.id === byRule);
  if (beyondSomeUsers.has(pick.category) && decidedBySomeUsers(setter)) {
    const who = read.facts.scope.scope === 'one' ? 'one user is' : 'some users are';
    return {
      category: ruled,
      overruled: false,
      step: step('not taken', `${said}; rule ${byRule} found that ${who} affected`),
    };
  }
  if (pick.p < OPINION_MIN) {
    return {
      category: ruled,
      overruled: false,
      step: step('not taken', `${said}; not sure enough to overrule ${ruled}`),
    };
  }
  const words = wordsOnce(input.opinion, read, pick.category, ruled);
  const rule = byRule ? `rule ${byRule} said ${ruled}` : `no rule set a category`;
  return {
    category: pick.category,
    overruled: true,
    ...(incident ? { incident } : {}),
    step: step(pick.category, `${said}${words.length ? `; its words ${quoteAll(words)}` : ''}; ${rule}`),
  };
}

/**
 * The priority: a rule's, unless it came with the category the opinion overruled; then the priority the rules
 * give the category the opinion chose (the first enabled rule setting both).
 */
export function priorityOf(
  category: Category,
  overruled: boolean,
  outcome: RulesOutcome,
  rules: readonly Rule[],
): { priority: Priority | null; step: ClassifyStep | null } {
  const by = outcome.setBy.priority?.ruleId;
  const withCategory = by !== undefined && by === outcome.setBy.category?.ruleId;
  if (outcome.priority && !(overruled && withCategory)) {
    return {
      priority: outcome.priority,
      step: { step: 'priority', result: outcome.priority, reason: `set by rule ${by}` },
    };
  }
  if (!overruled) return { priority: null, step: null };
  const rule = rules.find((r) => r.enabled && r.actions.category === category && r.actions.priority);
  if (!rule?.actions.priority) return { priority: null, step: null };
  return {
    priority: rule.actions.priority,
    step: {
      step: 'priority',
      result: rule.actions.priority,
      reason: `what rule ${rule.id} gives ${category}, the learned opinion's category`,
    },
  };
}
