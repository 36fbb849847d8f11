import { type Category, isHandoverCategory } from '../vocabulary.js';
import type { Rule } from './rule-schema.js';
import { type RuleFacts, type RulesOutcome, ruleMatches, runRules } from './rules-engine.js';
import { readScope } from './scope.js';
import { firstKeyword, type MatchText, prepareText } from './text-match.js';

// A contact that asks two things ("three more licences, please; and Windows 365 is down for all of us") is
// triaged by the part that needs the most: a hand-over before a subscription change, a subscription change
// before a how-to question. The sentences that made the first rule fire are set aside, the
// rules run again on the rest, and the heavier answer wins; the part set aside stays with the partner.

const weight: Record<Category, number> = {
  unclassified: 0,
  how_to: 1,
  configuration: 2,
  billing_subscription: 2,
  known_incident: 3,
  ms_undocumented_behaviour: 3,
  ms_service_unavailable: 3,
  ms_bug_or_anomaly: 3,
  ms_network_disruption: 3,
  ms_regional_multitenant: 3,
};

/** Categories that are a request of their own; a finding (a setting, one user) is not a second part. */
const requests = new Set<Category>(['billing_subscription', 'how_to']);

/** A sentence about a past trouble or set aside by the customer is not a second request. */
const pastOrAside = [
  "last week's",
  'of last month',
  "last month's",
  "yesterday's",
  'not what this is about',
  'not about that',
  'was on microsoft',
  '先週の障害',
  '先月の障害',
  '先日の障害',
  '昨日の障害',
  'とは関係',
  'とは別',
  '影響はありません',
  '急ぎの影響は',
];

/** Words that say something is wrong now: a second part needs one to be a problem at all. */
const problemWords = [
  'できません',
  'できない',
  '出来ない',
  '使えな',
  'エラー',
  '動かな',
  '止まって',
  '効かな',
  '効きません',
  '反映されな',
  '表示されな',
  '落ちる',
  '不具合',
  "can't",
  'cannot',
  'unable',
  'error',
  'fail',
  'not working',
  "doesn't",
  'does not',
  "won't",
  'broken',
  'is down',
  'are down',
  'went down',
  'down for',
  'down since',
  'still being',
  'crash',
  'no effect',
  'defect',
  'false positive',
  '誤検知',
  'not applied',
  '適用されない',
  'hours late',
  '遅延',
  'timeout',
  'time out',
  '503',
  '500',
  'went wrong',
  'nobody',
  'no one',
  '誰も',
  '届かない',
  '来ない',
  '起動しな',
  '遅れて',
  '動いていません',
  '動いていない',
  '見当たりません',
  '消えてしまい',
  '落ちて',
];

export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[。．！？!?])|\n+|(?<=\.)\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface OtherPart {
  outcome: RulesOutcome;
  /** The category of the part set aside, which the partner handles; null when no sentence was only that. */
  partnerPart: Category | null;
  /** The first sentence set aside, to show why. */
  setAside: string | null;
}

/** A sentence of the contact, read once for every rule set that asks (a dry run runs two). */
export interface Sentence {
  text: string;
  /** The facts with the sentence alone as the text, to see whether a rule fires on it. */
  alone: RuleFacts;
  /** Whether it says something is wrong now. */
  problem: boolean;
  /** Whether it is about a past trouble or something the customer sets aside. */
  pastOrAside: boolean;
}

export function readSentences(fullText: string, facts: RuleFacts): Sentence[] {
  return splitSentences(fullText).map((text) => {
    const t = prepareText(text);
    return {
      text,
      alone: { ...facts, subject: t, body: t, text: t, incidentText: t },
      problem: firstKeyword(t, problemWords) !== null,
      pastOrAside: firstKeyword(t, pastOrAside) !== null,
    };
  });
}

/** The heavier part of a contact that asks two things, or null when there is only one (or the first is heaviest). */
export function heavierPart(
  rules: readonly Rule[],
  facts: RuleFacts,
  first: RulesOutcome,
  sentences: () => readonly Sentence[],
  incidentTextOf: (text: string) => MatchText,
): OtherPart | null {
  const category = first.category;
  const setter = first.setBy.category;
  if (!category || !setter || !requests.has(category)) return null;
  const rule = rules.find((r) => r.id === setter.ruleId);
  if (!rule) return null;
  const rest: string[] = [];
  const aside: string[] = [];
  for (const s of sentences()) {
    // A sentence with the request's words and a problem in it ("the invoice approval flow has not run since
    // this morning") is about the problem; a past trouble is no second part.
    if (ruleMatches(rule, s.alone) && !s.problem) aside.push(s.text);
    else if (!s.pastOrAside) rest.push(s.text);
  }
  if (!rest.length) return null;
  const restText = prepareText(rest.join('\n'));
  if (!firstKeyword(restText, problemWords)) return null;
  const outcome = runRules(
    rules.filter((r) => r !== rule),
    {
      ...facts,
      subject: prepareText(''),
      body: restText,
      text: restText,
      incidentText: incidentTextOf(rest.join('\n')),
      scope: readScope(restText),
    },
  );
  // A hand-over or a known incident wins over a purchase or a question; a purchase wins over a question.
  const wins =
    outcome.category &&
    (isHandoverCategory(outcome.category) ||
      outcome.category === 'known_incident' ||
      outcome.category === 'billing_subscription');
  if (!wins || weight[outcome.category!] <= weight[category]) return null;
  return { outcome, partnerPart: aside.length ? category : null, setAside: aside[0] ?? null };
}

/** The category of the part a mixed contact set aside, from the case's tags; null for a contact of one part. */
export function partnerPartOf(tags: readonly string[]): string | null {
  const tag = tags.find((t) => t.startsWith('partner-part:'));
  return tag ? tag.slice('partner-part:'.length) : null;
}
