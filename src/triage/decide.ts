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

/** A new case takes the priority the rules gave it; a follow-up can raise the case's priority, never lower it. */
function decidePriority(input: TriageInput): Priority {
  const proposed = input.classification?.priority ?? null;
  if (input.newCase) return proposed ?? input.priority;
  return proposed && rank[proposed] > rank[input.priority] ? proposed : input.priority;
}

/** Steps 2 and 3: whether the desk is open, and the response due time the plan gives this priority. */
function hoursAndSla(input: TriageInput, priority: Priority) {
  const steps: TriageStep[] = [];
  if (!input.plan) return { steps, deskOpen: true, nextOpen: input.now, dueAt: null };
  const deskOpen = isOpenAt(input.plan.hours, input.now);
  const nextOpen = deskOpen ? input.now : nextOpening(input.plan.hours, input.now);
  let dueAt: Date | null = null;
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
  return { steps, deskOpen, nextOpen, dueAt };
}

type ReplyTemplate = NonNullable<TriageDecision['replyTemplate']>;

/** Which acknowledgement a new case that may be answered gets, and why. */
function chooseTemplate(input: TriageInput, deskOpen: boolean): { template: ReplyTemplate; why: string } {
  const c = input.classification;
  if (!input.customer) {
    return {
      template: 'unknown_customer',
      why: input.senderUnproven ? 'new case from a sender not proven' : 'new case from an unknown sender',
    };
  }
  if (c?.template) return { template: c.template, why: 'new case; template chosen by rule' };
  if (c?.category === 'known_incident')
    return { template: 'known_incident', why: 'new case about a known incident' };
  if (c?.handling === 'microsoft') {
    return { template: 'handover_microsoft', why: `new case handed over to Microsoft (${c.category})` };
  }
  if (c?.handling === 'indirect_provider') {
    return {
      template: 'handover_indirect_provider',
      why: `new case handed over to the indirect provider (${c.category})`,
    };
  }
  return deskOpen
    ? { template: 'ack', why: 'new case, desk open' }
    : { template: 'ack_out_of_hours', why: 'new case, desk closed' };
}

/** The last step: an acknowledgement, or why none goes out. */
function replyStep(input: TriageInput, deskOpen: boolean) {
  const suppressed = (reason: string, cappedBy: TriageDecision['cappedBy'] = null) => ({
    replyTemplate: null,
    cappedBy,
    step: { step: 'reply', result: 'suppressed', reason },
  });
  if (!input.newCase) {
    return {
      replyTemplate: null,
      cappedBy: null,
      step: { step: 'reply', result: 'none', reason: 'follow-up on an existing case: no acknowledgement' },
    };
  }
  if (input.autoReplyBlocker) {
    return suppressed(
      input.autoReplyBlocker === 'mailbox-backlog'
        ? 'the mail was already in the mailbox, and old, when the intake first read it: no automatic reply'
        : `never auto-answer: ${input.autoReplyBlocker}`,
    );
  }
  if (input.automaticRepliesLastHour >= input.autoReplyLimitPerHour) {
    return suppressed(
      `sender already got ${input.automaticRepliesLastHour} automatic replies this hour (limit ${input.autoReplyLimitPerHour})`,
      'sender',
    );
  }
  const { template, why } = chooseTemplate(input, deskOpen);
  return { replyTemplate: template, cappedBy: null, step: { step: 'reply', result: template, reason: why } };
}

export function decide(input: TriageInput): TriageDecision {
  const priority = decidePriority(input);
  const hours = hoursAndSla(input, priority);
  const reply = replyStep(input, hours.deskOpen);
  return {
    steps: [customerStep(input), ...hours.steps, reply.step],
    dueAt: hours.dueAt,
    deskOpen: hours.deskOpen,
    nextOpen: hours.nextOpen,
    replyTemplate: reply.replyTemplate,
    priority,
    cappedBy: reply.cappedBy,
  };
}

/** The reply step when the cap on automatic replies to all senders together kept the reply back. */
export function overallCapStep(template: string, limit: number): TriageStep {
  return {
    step: 'reply',
    result: 'suppressed',
    reason: `automatic replies to all senders reached the limit of ${limit} this hour: ${template} not sent`,
  };
}
