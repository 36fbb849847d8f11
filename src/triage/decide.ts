import type { PlanHours, ResponseTargets } from '../db/schema.js';
import type { Priority } from '../vocabulary.js';
import { addBusinessTime, isOpenAt, nextOpening } from './business-hours.js';
import type { Classification } from './classify.js';

// Pure triage decisions for one inbound message. Every decision carries the reason a person can read.

export interface TriageStep {
  step: string;
  result: string;
  reason: string;
}

export interface TriageInput {
  now: Date;
  newCase: boolean;
  priority: Priority;
  customer: { id: string; name: string } | null;
  senderDomain: string;
  plan: { hours: PlanHours; responseTargets: ResponseTargets } | null;
  autoReplyBlocker: string | null;
  automaticRepliesLastHour: number;
  autoReplyLimitPerHour: number;
  /** Why the receiving server did not vouch for the sender of this message; null or absent when it did. */
  senderUnproven?: string | null;
  /** What service health and the rules made of the text; absent means "nothing found". */
  classification?: Pick<Classification, 'category' | 'handling' | 'priority' | 'template'>;
}

export interface TriageDecision {
  steps: TriageStep[];
  dueAt: Date | null;
  deskOpen: boolean;
  nextOpen: Date | null;
  replyTemplate:
    | 'ack'
    | 'ack_out_of_hours'
    | 'unknown_customer'
    | 'known_incident'
    | 'handover_microsoft'
    | 'handover_indirect_provider'
    | null;
  priority: TriageInput['priority'];
  /** Set when a cap, not a rule, kept the acknowledgement back. */
  cappedBy: 'sender' | null;
}

const rank = { low: 0, normal: 1, high: 2, urgent: 3 } as const;

/** Step 1, identify: whose mail this is, or why nobody can say. */
function customerStep(input: TriageInput): TriageStep {
  if (input.senderUnproven) {
    const what = input.customer
      ? `the case stays with ${input.customer.name}; nothing is handed over from this message`
      : 'case unverified';
    return {
      step: 'customer',
      result: 'unproven',
      reason: `sender not proven: ${input.senderUnproven}; ${what}`,
    };
  }
  return input.customer
    ? {
        step: 'customer',
        result: input.customer.id,
        reason: `sender domain ${input.senderDomain} belongs to ${input.customer.name}`,
      }
    : {
        step: 'customer',
        result: 'unknown',
        reason: `no customer has the domain ${input.senderDomain}; case unverified`,
      };
}

export function decide(input: TriageInput): TriageDecision {
  const steps: TriageStep[] = [customerStep(input)];

  // A new case takes the priority the rules gave it; a follow-up can raise the case's priority, never lower it.
  const proposed = input.classification?.priority ?? null;
  const priority: TriageInput['priority'] = input.newCase
    ? (proposed ?? input.priority)
    : proposed && rank[proposed] > rank[input.priority]
      ? proposed
      : input.priority;

  let deskOpen = true;
  let nextOpen: Date | null = input.now;
  let dueAt: Date | null = null;
  if (input.plan) {
    deskOpen = isOpenAt(input.plan.hours, input.now);
    nextOpen = deskOpen ? input.now : nextOpening(input.plan.hours, input.now);
    steps.push({
      step: 'hours',
      result: deskOpen ? 'open' : 'closed',
      reason: deskOpen
        ? 'within the plan service hours'
        : `outside the plan service hours; opens ${nextOpen?.toISOString() ?? 'never'}`,
    });
    const target = input.plan.responseTargets[priority];
    if (target) {
      dueAt = addBusinessTime(input.plan.hours, input.now, target);
      steps.push({
        step: 'sla',
        result: dueAt?.toISOString() ?? 'none',
        reason: `${priority} priority response target ${target} in business time`,
      });
    }
  }

  let replyTemplate: TriageDecision['replyTemplate'] = null;
  let cappedBy: TriageDecision['cappedBy'] = null;
  if (!input.newCase) {
    steps.push({
      step: 'reply',
      result: 'none',
      reason: 'follow-up on an existing case: no acknowledgement',
    });
  } else if (input.autoReplyBlocker) {
    steps.push({
      step: 'reply',
      result: 'suppressed',
      reason:
        input.autoReplyBlocker === 'mailbox-backlog'
          ? 'the mail was already in the mailbox, and old, when the intake first read it: no automatic reply'
          : `never auto-answer: ${input.autoReplyBlocker}`,
    });
  } else if (input.automaticRepliesLastHour >= input.autoReplyLimitPerHour) {
    cappedBy = 'sender';
    steps.push({
      step: 'reply',
      result: 'suppressed',
      reason: `sender already got ${input.automaticRepliesLastHour} automatic replies this hour (limit ${input.autoReplyLimitPerHour})`,
    });
  } else {
    const c = input.classification;
    let why: string;
    if (!input.customer) {
      replyTemplate = 'unknown_customer';
      why = input.senderUnproven ? 'new case from a sender not proven' : 'new case from an unknown sender';
    } else if (c?.template) {
      replyTemplate = c.template;
      why = 'new case; template chosen by rule';
    } else if (c?.category === 'known_incident') {
      replyTemplate = 'known_incident';
      why = 'new case about a known incident';
    } else if (c?.handling === 'microsoft') {
      replyTemplate = 'handover_microsoft';
      why = `new case handed over to Microsoft (${c.category})`;
    } else if (c?.handling === 'indirect_provider') {
      replyTemplate = 'handover_indirect_provider';
      why = `new case handed over to the indirect provider (${c.category})`;
    } else {
      replyTemplate = deskOpen ? 'ack' : 'ack_out_of_hours';
      why = deskOpen ? 'new case, desk open' : 'new case, desk closed';
    }
    steps.push({ step: 'reply', result: replyTemplate, reason: why });
  }
  return { steps, dueAt, deskOpen, nextOpen, replyTemplate, priority, cappedBy };
}

/** The reply step when the cap on automatic replies to all senders together kept the reply back. */
export function overallCapStep(template: string, limit: number): TriageStep {
  return {
    step: 'reply',
    result: 'suppressed',
    reason: `automatic replies to all senders reached the limit of ${limit} this hour: ${template} not sent`,
  };
}
