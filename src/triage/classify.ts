import {
  type Category,
  type Channel,
  type Handling,
  handoverCategories,
  type Locale,
  type Priority,
  type replyTemplates,
} from '../vocabulary.js';
import { otherSymptom } from './incident-symptoms.js';
import type { LearnedOpinion, Weighed } from './learned-opinion.js';
import { heavierPart, readSentences, type Sentence, splitSentences } from './mixed-contact.js';
import { priorityOf, weighOpinion } from './opinion-step.js';
import type { Rule } from './rule-schema.js';
import { type RuleFacts, type RulesOutcome, runRules } from './rules-engine.js';
import { readScope } from './scope.js';
import { builtInCatalogue, type ServiceCatalogue, type ServiceMention } from './services.js';
import { withoutSignature } from './signature.js';
import { joinText, prepareText } from './text-match.js';

// Service health first, then the admin's rules, then the hand-over target from the customer's relationship.
// Pure: the live triage and the dry run call the same function.

export interface ActiveIncident {
  id: string;
  serviceId: string | null;
  service: string;
  title: string;
  status: string;
  updatedAt: Date;
  link: string | null;
}

export interface ClassifyInput {
  subject: string;
  body: string;
  channel: Channel;
  locale: Locale;
  customer: { id: string; relationship: 'direct' | 'indirect'; planId: string | null } | null;
  verified: boolean;
  withinHours: boolean;
  /** Active incidents; only those of a service the text names count. */
  incidents: readonly ActiveIncident[];
  rules: readonly Rule[];
  /** The services and aliases to know (the built-in catalogue when absent). */
  catalogue?: ServiceCatalogue;
  /** A second opinion on the category learned from labelled contacts (absent: the rules alone decide). */
  opinion?: LearnedOpinion | null;
}

export interface ClassifyStep {
  step: string;
  result: string;
  reason: string;
}

/** What triage reads of a contact, before any rule. */
export type ContactInput = Omit<ClassifyInput, 'rules'>;

export interface Classification {
  category: Category;
  handling: Handling;
  priority: Priority | null;
  tags: string[];
  template: (typeof replyTemplates)[number] | null;
  incident: ActiveIncident | null;
  steps: ClassifyStep[];
}

const quote = (s: string) => `'${s.length > 60 ? `${s.slice(0, 57)}…` : s}'`;

/**
 * The sentences about the given services: each one naming only them, and the sentences just before and
 * after it when those name no service at all ("Teams について。会議に参加できません。"). A sentence about another service
 * ("Outlook works, but SharePoint is down"), or setting one against another ("I know Planner has an issue,
 * but this is about Bookings"), stays out.
 */
export function sentencesAbout(
  text: string,
  serviceIds: ReadonlySet<string>,
  catalogue: ServiceCatalogue = builtInCatalogue,
): string {
  const sentences = splitSentences(text);
  const out: string[] = [];
  let carry = false;
  let before: string | null = null;
  for (const sentence of sentences) {
    const named = catalogue.mentioned(prepareText(sentence)).map((s) => s.id);
    if (named.length > 0 && named.every((id) => serviceIds.has(id))) {
      // The sentence before, when it names no service, says what happened ("flows fire hours late. Is
      // Power Automate down?").
      if (before !== null) out.push(before);
      out.push(sentence);
      before = null;
      carry = true;
    } else if (carry && named.length === 0) {
      out.push(sentence);
      before = null;
      carry = false;
    } else {
      before = named.length === 0 ? sentence : null;
      carry = false;
    }
  }
  return out.join('\n');
}

/**
 * The text prepared once for matching, the services it names and the active incidents of those. An incident
 * for a service the catalogue does not know makes that service known by its own name.
 */
function readText(input: ContactInput) {
  const catalogue = (input.catalogue ?? builtInCatalogue).including(input.incidents.map((i) => i.service));
  const bodyText = withoutSignature(input.body);
  const subject = prepareText(input.subject);
  const body = prepareText(bodyText);
  const text = joinText(subject, body);
  const services = catalogue.mentioned(text);
  const mentioned = new Set(services.map((s) => s.id));
  const fullText = `${input.subject}\n${bodyText}`;
  const named = input.incidents
    .map((i) => {
      const known = i.serviceId !== null && catalogue.byServiceId(i.serviceId) !== undefined;
      return known ? i : { ...i, serviceId: catalogue.forName(i.service)?.id ?? null };
    })
    .filter((i) => i.serviceId && mentioned.has(i.serviceId));
  const { incidents, otherSymptoms } = sameSymptom(named, fullText, catalogue);
  return { subject, body, text, services, incidents, otherSymptoms, catalogue, fullText };
}

/** The incidents whose symptom the customer may have; the others, with what each is about. */
function sameSymptom(incidents: ActiveIncident[], fullText: string, catalogue: ServiceCatalogue) {
  const kept: ActiveIncident[] = [];
  const otherSymptoms: string[] = [];
  for (const i of incidents) {
    const other = otherSymptom(i.title, sentencesAbout(fullText, new Set([i.serviceId!]), catalogue));
    if (other) {
      otherSymptoms.push(
        `${i.id} is about ${other.incident.join(', ')}; the text about ${other.text.join(', ')}`,
      );
    } else kept.push(i);
  }
  return { incidents: kept, otherSymptoms };
}

type ReadText = ReturnType<typeof readText>;

function healthStep(
  services: ServiceMention[],
  incidents: readonly ActiveIncident[],
  otherSymptoms: readonly string[],
): ClassifyStep {
  const i = incidents[0];
  if (i) {
    const word = services.find((s) => s.id === i.serviceId)?.matched ?? i.service;
    return {
      step: 'health',
      result: incidents.map((x) => x.id).join(','),
      reason: `text names ${i.service} (${quote(word)}); active incident ${i.id} "${i.title}" (${i.status})`,
    };
  }
  const named = services.map((s) => `${s.id} (${quote(s.matched)})`).join(', ');
  return {
    step: 'health',
    result: 'none',
    reason: otherSymptoms.length
      ? `text names ${named}; not the active incident: ${otherSymptoms.join('; ')}`
      : services.length
        ? `text names ${named}; no active incident for it`
        : 'no service named in the text',
  };
}

function ruleFacts(input: ContactInput, read: ReadText): RuleFacts {
  const { subject, body, text, services, incidents } = read;
  const incidentServices = new Set(incidents.map((i) => i.serviceId!));
  return {
    channel: input.channel,
    customerId: input.customer?.id ?? null,
    relationship: input.customer?.relationship ?? null,
    planId: input.customer?.planId ?? null,
    locale: input.locale,
    subject,
    body,
    text,
    incidentText: prepareText(
      incidentServices.size ? sentencesAbout(read.fullText, incidentServices, read.catalogue) : '',
    ),
    services,
    incidentIds: incidents.map((i) => i.id),
    withinHours: input.withinHours,
    verified: input.verified,
    scope: readScope(text),
  };
}

function ruleSteps(outcome: RulesOutcome): ClassifyStep[] {
  return outcome.hits.map((hit) => ({
    step: 'rule',
    result: hit.ruleId,
    reason: `rule ${hit.ruleId} (${hit.ruleName}) matched ${hit.matched.map(quote).join(', ') || 'its conditions'}`,
  }));
}

function categoryStep(category: Category, outcome: RulesOutcome): ClassifyStep {
  const byCategory = outcome.setBy.category;
  return {
    step: 'category',
    result: category,
    reason: byCategory
      ? `set by rule ${byCategory.ruleId}, which matched ${byCategory.matched.map(quote).join(', ') || 'its conditions'}`
      : 'no rule set a category',
  };
}

/** Who takes the case: a rule's choice, else the hand-over target that the customer's relationship gives. */
function handlingStep(category: Category, outcome: RulesOutcome, customer: ClassifyInput['customer']) {
  const step = (handling: Handling, reason: string) => ({
    handling,
    step: { step: 'handling', result: handling, reason },
  });
  if (outcome.handling) return step(outcome.handling, `set by rule ${outcome.setBy.handling?.ruleId}`);
  if (!handoverCategories.includes(category)) {
    return step(
      'partner',
      category === 'billing_subscription'
        ? 'subscription changes go through the partner only'
        : 'within the partner baseline support boundary',
    );
  }
  if (!customer) {
    return step(
      'partner',
      `${category} is a hand-over category, but the sender is not a known customer: the partner verifies first`,
    );
  }
  if (customer.relationship === 'indirect') {
    return step(
      'indirect_provider',
      `${category} is a hand-over category; the customer is served through an indirect reseller, so the indirect provider takes it`,
    );
  }
  return step(
    'microsoft',
    `${category} is a hand-over category; direct-bill customer, so the partner hands it to Microsoft`,
  );
}

/** The rules' outcome, from the heavier part when the contact asks two things (with a step saying so). */
function runOnHeavierPart(input: ClassifyInput, read: ReadContact) {
  const facts = read.facts;
  const first = runRules(input.rules, facts);
  const ids = new Set(read.incidents.map((i) => i.serviceId!));
  const incidentTextOf = (t: string) => prepareText(ids.size ? sentencesAbout(t, ids, read.catalogue) : '');
  const other = heavierPart(input.rules, facts, first, read.sentences, incidentTextOf);
  const scope: ClassifyStep = {
    step: 'scope',
    result: facts.scope.scope,
    reason: facts.scope.matched.length
      ? `the text says who is affected: ${facts.scope.matched.map(quote).join(', ')}`
      : 'the text does not say who is affected',
  };
  if (!other) return { outcome: first, partnerPart: null, steps: [scope, ...ruleSteps(first)] };
  const ruleId = first.setBy.category?.ruleId;
  const mixed: ClassifyStep = other.partnerPart
    ? {
        step: 'mixed',
        result: other.partnerPart,
        reason: `the contact asks two things: ${quote(other.setAside ?? '')} (${other.partnerPart}, rule ${ruleId}) stays with the partner; triaged by the rest`,
      }
    : {
        step: 'mixed',
        result: 'none',
        reason: `the words of rule ${ruleId} are part of the problem described, not a request of their own: triaged by the problem`,
      };
  return {
    outcome: other.outcome,
    partnerPart: other.partnerPart,
    steps: [scope, ...ruleSteps(first), mixed, ...ruleSteps(other.outcome)],
  };
}

/** The contact as the rules see it: everything triage reads before any rule runs. */
export function readContact(input: ContactInput) {
  const read = readText(input);
  // The learned opinion is weighed when first asked for (not when a firm rule decides), once per contact.
  let weighed: Weighed[] | null | undefined;
  const weigh = () => {
    if (weighed === undefined) weighed = input.opinion ? input.opinion.weigh(read.text.plain) : null;
    return weighed;
  };
  const facts = ruleFacts(input, read);
  let sentences: Sentence[] | undefined;
  return {
    ...read,
    facts,
    weighed: weigh,
    sentences: () => {
      sentences ??= readSentences(read.fullText, facts);
      return sentences;
    },
    opinionWords: new Map<string, string[]>(),
  };
}
export type ReadContact = ReturnType<typeof readContact>;

export function classify(input: ClassifyInput): Classification {
  return classifyRead(input, readContact(input));
}

/** Classifies a contact already read (a dry run reads each case once and runs two rule sets on it). */
export function classifyRead(input: ClassifyInput, read: ReadContact): Classification {
  const { incidents } = read;
  const { outcome, partnerPart, steps: ruleRun } = runOnHeavierPart(input, read);
  const second = weighOpinion(input, read, outcome, partnerPart);
  const settled = second.overruled ? withoutOverruledRule(outcome) : outcome;
  const category = second.category;
  const steps: ClassifyStep[] = [
    healthStep(read.services, incidents, read.otherSymptoms),
    ...ruleRun,
    ...(second.step ? [second.step] : []),
    second.overruled
      ? { step: 'category', result: category, reason: 'set by the learned opinion' }
      : categoryStep(category, outcome),
  ];

  const tags = [...outcome.tags];
  if (partnerPart) tags.push(`partner-part:${partnerPart}`);
  const found = second.incident ? [second.incident] : incidents;
  const incident = category === 'known_incident' ? (found[0] ?? null) : null;
  if (category === 'known_incident') for (const i of found) tags.push(`incident:${i.id}`);

  const { handling, step } = handlingStep(category, settled, input.customer);
  steps.push(step);

  const { priority, step: priorityStep } = priorityOf(category, second.overruled, outcome, input.rules);
  if (priorityStep) steps.push(priorityStep);
  return { category, handling, priority, tags, template: settled.template ?? null, incident, steps };
}

/** The rules' outcome without the handling and template that came with a category the opinion overruled. */
function withoutOverruledRule(outcome: RulesOutcome): RulesOutcome {
  const by = outcome.setBy.category?.ruleId;
  const drop = (field: 'handling' | 'template') => by !== undefined && outcome.setBy[field]?.ruleId === by;
  return {
    ...outcome,
    handling: drop('handling') ? undefined : outcome.handling,
    template: drop('template') ? undefined : outcome.template,
  };
}
