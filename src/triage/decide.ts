import type { PlanHours, ResponseTargets } from '../db/schema.js';
import { addBusinessTime, isOpenAt, nextOpening } from './business-hours.js';

// Pure triage decisions for one inbound message. Every decision carries the reason a person can read.

export interface TriageStep {
  step: string;
  result: string;
  reason: string;
}

export interface TriageInput {
  now: Date;
  newCase: boolean;
  priority: 'low' | 'normal' | 'high' | 'urgent';
  customer: { id: string; name: string } | null;
  senderDomain: string;
  plan: { hours: PlanHours; responseTargets: ResponseTargets } | null;
  autoReplyBlocker: string | null;
  automaticRepliesLastHour: number;
  autoReplyLimitPerHour: number;
}

export interface TriageDecision {
  steps: TriageStep[];
  dueAt: Date | null;
  deskOpen: boolean;
  nextOpen: Date | null;
  replyTemplate: 'ack' | 'ack_out_of_hours' | 'unknown_customer' | null;
}

export function decide(input: TriageInput): TriageDecision {
  const steps: TriageStep[] = [];
  steps.push(
    input.customer
      ? {
          step: 'customer',
          result: input.customer.id,
          reason: `sender domain ${input.senderDomain} belongs to ${input.customer.name}`,
        }
      : {
          step: 'customer',
          result: 'unknown',
          reason: `no customer has the domain ${input.senderDomain}; case unverified`,
        },
  );

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
    const target = input.plan.responseTargets[input.priority];
    if (target) {
      dueAt = addBusinessTime(input.plan.hours, input.now, target);
      steps.push({
        step: 'sla',
        result: dueAt?.toISOString() ?? 'none',
        reason: `${input.priority} priority response target ${target} in business time`,
      });
    }
  }

  let replyTemplate: TriageDecision['replyTemplate'] = null;
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
      reason: `never auto-answer: ${input.autoReplyBlocker}`,
    });
  } else if (input.automaticRepliesLastHour >= input.autoReplyLimitPerHour) {
    steps.push({
      step: 'reply',
      result: 'suppressed',
      reason: `sender already got ${input.automaticRepliesLastHour} automatic replies this hour (limit ${input.autoReplyLimitPerHour})`,
    });
  } else {
    replyTemplate = !input.customer ? 'unknown_customer' : deskOpen ? 'ack' : 'ack_out_of_hours';
    steps.push({
      step: 'reply',
      result: replyTemplate,
      reason: input.customer
        ? deskOpen
          ? 'new case, desk open'
          : 'new case, desk closed'
        : 'new case from an unknown sender',
    });
  }
  return { steps, dueAt, deskOpen, nextOpen, replyTemplate };
}
