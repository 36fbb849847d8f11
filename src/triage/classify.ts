import {
  type Category,
  type Channel,
  type Handling,
  handoverCategories,
  type Locale,
  type Priority,
  type replyTemplates,
} from '../vocabulary.js';
import type { Rule } from './rule-schema.js';
import { type RuleFacts, runRules } from './rules-engine.js';
import { servicesMentioned } from './services.js';
import { prepareText } from './text-match.js';

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
}

export interface ClassifyStep {
  step: string;
  result: string;
  reason: string;
}

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
 * The sentences about the given services: each one naming one of them, and the sentence after it when that
 * names no service at all ("Teams について。会議に参加できません。"). A sentence about another service
 * ("Outlook works, but SharePoint is down") stays out.
 */
export function sentencesAbout(text: string, serviceIds: ReadonlySet<string>): string {
  const sentences = text
    .split(/(?<=[。．！？!?])|\n+|(?<=\.)\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const out: string[] = [];
  let carry = false;
  for (const sentence of sentences) {
    const named = servicesMentioned(prepareText(sentence)).map((s) => s.id);
    if (named.some((id) => serviceIds.has(id))) {
      out.push(sentence);
      carry = true;
    } else if (carry && named.length === 0) {
      out.push(sentence);
      carry = false;
    } else {
      carry = false;
    }
  }
  return out.join('\n');
}

export function classify(input: ClassifyInput): Classification {
  const steps: ClassifyStep[] = [];
  const subject = prepareText(input.subject);
  const body = prepareText(input.body);
  const text = prepareText(`${input.subject}\n${input.body}`);
  const services = servicesMentioned(text);
  const mentioned = new Set(services.map((s) => s.id));
  const incidents = input.incidents.filter((i) => i.serviceId && mentioned.has(i.serviceId));

  if (incidents.length) {
    const i = incidents[0]!;
    const word = services.find((s) => s.id === i.serviceId)?.matched ?? i.service;
    steps.push({
      step: 'health',
      result: incidents.map((x) => x.id).join(','),
      reason: `text names ${i.service} (${quote(word)}); active incident ${i.id} "${i.title}" (${i.status})`,
    });
  } else {
    steps.push({
      step: 'health',
      result: 'none',
      reason: services.length
        ? `text names ${services.map((s) => `${s.id} (${quote(s.matched)})`).join(', ')}; no active incident for it`
        : 'no service named in the text',
    });
  }

  const incidentServices = new Set(incidents.map((i) => i.serviceId!));
  const facts: RuleFacts = {
    channel: input.channel,
    customerId: input.customer?.id ?? null,
    relationship: input.customer?.relationship ?? null,
    planId: input.customer?.planId ?? null,
    locale: input.locale,
    subject,
    body,
    text,
    incidentText: prepareText(
      incidentServices.size ? sentencesAbout(`${input.subject}\n${input.body}`, incidentServices) : '',
    ),
    services,
    incidentIds: incidents.map((i) => i.id),
    withinHours: input.withinHours,
    verified: input.verified,
  };
  const outcome = runRules(input.rules, facts);
  for (const hit of outcome.hits) {
    steps.push({
      step: 'rule',
      result: hit.ruleId,
      reason: `rule ${hit.ruleId} (${hit.ruleName}) matched ${hit.matched.map(quote).join(', ') || 'its conditions'}`,
    });
  }

  const category: Category = outcome.category ?? 'unclassified';
  const byCategory = outcome.setBy.category;
  steps.push({
    step: 'category',
    result: category,
    reason: byCategory
      ? `set by rule ${byCategory.ruleId}, which matched ${byCategory.matched.map(quote).join(', ') || 'its conditions'}`
      : 'no rule set a category',
  });

  const tags = [...outcome.tags];
  const incident = category === 'known_incident' ? (incidents[0] ?? null) : null;
  if (category === 'known_incident') for (const i of incidents) tags.push(`incident:${i.id}`);

  let handling: Handling;
  let handlingReason: string;
  if (outcome.handling) {
    handling = outcome.handling;
    handlingReason = `set by rule ${outcome.setBy.handling?.ruleId}`;
  } else if (handoverCategories.includes(category)) {
    if (!input.customer) {
      handling = 'partner';
      handlingReason = `${category} is a hand-over category, but the sender is not a known customer: the partner verifies first`;
    } else if (input.customer.relationship === 'indirect') {
      handling = 'indirect_provider';
      handlingReason = `${category} is a hand-over category; the customer is served through an indirect reseller, so the indirect provider takes it`;
    } else {
      handling = 'microsoft';
      handlingReason = `${category} is a hand-over category; direct-bill customer, so the partner hands it to Microsoft`;
    }
  } else {
    handling = 'partner';
    handlingReason =
      category === 'billing_subscription'
        ? 'subscription changes go through the partner only'
        : 'within the partner baseline support boundary';
  }
  steps.push({ step: 'handling', result: handling, reason: handlingReason });

  const priority = outcome.priority ?? null;
  if (priority) {
    steps.push({
      step: 'priority',
      result: priority,
      reason: `set by rule ${outcome.setBy.priority?.ruleId}`,
    });
  }
  return { category, handling, priority, tags, template: outcome.template ?? null, incident, steps };
}
