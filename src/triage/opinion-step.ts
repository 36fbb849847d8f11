import { type Category, handoverCategories, type Priority } from '../vocabulary.js';
import type { ClassifyInput, ClassifyStep, ReadContact } from './classify.js';
import type { Rule } from './rule-schema.js';
import type { RulesOutcome } from './rules-engine.js';

// How the learned opinion and the rules settle the category. The rules read what they were written for
// (service health, who is affected, a purchase, a thank-you); the opinion weighs every word it has seen in a
// labelled contact. The opinion decides unless a firm rule set the category or it is less than even sure.
// Service health stays first: the opinion says "known incident" only when service health found an incident
// for the service and symptom named, and never turns a known incident into a hand-over (it may still find a
// thank-you or one user's problem in it).

/** Below this probability the opinion does not overrule a rule. */
export const OPINION_MIN = 0.5;

const pct = (p: number) => `${Math.round(p * 100)}%`;
const quoteAll = (words: string[]) => words.map((w) => `'${w}'`).join(', ');

export interface SecondOpinion {
  category: Category;
  /** The opinion set a category other than the rules'. */
  overruled: boolean;
  step: ClassifyStep | null;
}

export function weighOpinion(
  input: Pick<ClassifyInput, 'rules' | 'opinion'>,
  read: Pick<ReadContact, 'weighed' | 'incidents' | 'text'>,
  outcome: RulesOutcome,
): SecondOpinion {
  const ruled: Category = outcome.category ?? 'unclassified';
  const pick = read.weighed?.find((w) => w.category !== 'known_incident' || read.incidents.length > 0);
  if (!pick || !input.opinion) return { category: ruled, overruled: false, step: null };
  const byRule = outcome.setBy.category?.ruleId;
  const firm = byRule !== undefined && input.rules.find((r) => r.id === byRule)?.firm === true;
  const said = `${pick.category} (${pct(pick.p)}, learned from ${input.opinion.examples} labelled contacts)`;
  const step = (result: string, reason: string): ClassifyStep => ({ step: 'opinion', result, reason });
  if (pick.category === ruled) {
    return { category: ruled, overruled: false, step: step('agrees', `${said}: agrees`) };
  }
  if (firm) {
    return {
      category: ruled,
      overruled: false,
      step: step('not taken', `${said}; rule ${byRule} is firm`),
    };
  }
  if (ruled === 'known_incident' && handoverCategories.includes(pick.category)) {
    return {
      category: ruled,
      overruled: false,
      step: step(
        'not taken',
        `${said}; service health first: no hand-over for a service with a matching incident`,
      ),
    };
  }
  if (pick.p < OPINION_MIN) {
    return {
      category: ruled,
      overruled: false,
      step: step('not taken', `${said}; not sure enough to overrule ${ruled}`),
    };
  }
  const words = input.opinion.wordsFor(read.text.plain, pick.category, ruled);
  const rule = byRule ? `rule ${byRule} said ${ruled}` : `no rule set a category`;
  return {
    category: pick.category,
    overruled: true,
    step: step(pick.category, `${said}${words.length ? ` from ${quoteAll(words)}` : ''}; ${rule}`),
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
