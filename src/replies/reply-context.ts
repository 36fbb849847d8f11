import { formatCaseTag } from '../cases/threading.js';
import type { PlanHours } from '../db/schema.js';
import type { Locale } from '../vocabulary.js';
import { categoryName, handlingName, priorityName, statusName } from './labels.js';
import { formatDateTime, type PlanLike, supportFacts } from './plan-facts.js';

// The one shape every template renders against. Templates use strict variables, so every key is always
// present (empty string when it does not apply): a template that renders for one case renders for all.

export interface ReplyContextInput {
  locale: Locale;
  zone: string;
  now: Date;
  partnerName: string;
  /** The support profile's desk name, case tag format and signature block. */
  profile?: { deskName: string; subjectTag: string; signature: string };
  plan: PlanLike;
  caseRow: {
    number: string;
    subject: string;
    status: string;
    priority: string;
    category: string;
    handling: string;
    channel: string;
    dueAt: Date | null;
    createdAt: Date;
    /** The category of a second request the partner handles itself (a contact that asked two things). */
    partnerPart?: string | null;
  };
  customer: { name: string; verified: boolean; domain?: string | null; tenantId?: string | null };
  contact: { name: string | null; email: string };
  desk: { open: boolean; nextOpen: Date | null };
  /** The conversation so far, for the chat transcript mail. */
  transcript?: string;
  /** For an agent's notification: the agent, the customer's message, and what triage made of it. */
  agent?: { name: string };
  message?: { text: string; first: boolean };
  triage?: { reason: string };
  incident?: {
    id: string;
    title: string;
    status: string;
    updatedAt: Date;
    service: string;
    link: string | null;
  } | null;
}

export type ReplyContext = ReturnType<typeof buildReplyContext>;

export function buildReplyContext(i: ReplyContextInput) {
  const when = (d: Date | null) => (d ? formatDateTime(d, i.locale, i.zone) : '');
  const name = i.contact.name?.trim() ?? '';
  const company = i.customer.name.trim();
  // A Japanese business letter opens with the company, then the person: 「Contoso Japan\n山田 太郎 様」.
  const greeting =
    i.locale === 'ja'
      ? [company, name ? `${name} 様` : company ? 'ご担当者 様' : 'お客様'].filter(Boolean).join('\n')
      : name
        ? `Dear ${name},`
        : 'Dear customer,';
  const profile = i.profile ?? { deskName: '', subjectTag: '[Case #{number}]', signature: '' };
  return {
    case: {
      number: i.caseRow.number,
      /** The case tag in the support profile's format, e.g. 【受付番号:1042】. */
      tag: formatCaseTag(profile.subjectTag, i.caseRow.number),
      subject: i.caseRow.subject,
      status: i.caseRow.status,
      priority: i.caseRow.priority,
      category: i.caseRow.category,
      handling: i.caseRow.handling,
      channel: i.caseRow.channel,
      dueAt: when(i.caseRow.dueAt),
      createdAt: when(i.caseRow.createdAt),
      categoryName: categoryName(i.caseRow.category, i.locale),
      partnerPart: i.caseRow.partnerPart ?? '',
      partnerPartName: i.caseRow.partnerPart ? categoryName(i.caseRow.partnerPart, i.locale) : '',
      handlingName: handlingName(i.caseRow.handling, i.locale),
      priorityName: priorityName(i.caseRow.priority, i.locale),
      statusName: statusName(i.caseRow.status, i.locale),
    },
    customer: {
      name: i.customer.name,
      verified: i.customer.verified,
      domain: i.customer.domain ?? '',
      tenantId: i.customer.tenantId ?? '',
    },
    contact: { name, email: i.contact.email, greeting },
    support: supportFacts(i.plan, i.locale, i.zone, i.now),
    desk: { open: i.desk.open, nextOpen: when(i.desk.nextOpen) },
    partner: {
      name: i.partnerName,
      deskName: profile.deskName || i.partnerName,
      signature: profile.signature,
    },
    chat: { transcript: i.transcript ?? '' },
    agent: { name: i.agent?.name ?? '' },
    message: { text: i.message?.text ?? '', first: i.message?.first ?? false },
    triage: { reason: i.triage?.reason ?? '' },
    incident: i.incident
      ? {
          id: i.incident.id,
          title: i.incident.title,
          status: i.incident.status,
          updatedAt: when(i.incident.updatedAt),
          service: i.incident.service,
          link: i.incident.link ?? '',
        }
      : { id: '', title: '', status: '', updatedAt: '', service: '', link: '' },
  };
}

const weekdays: PlanHours = {
  timeZone: 'Asia/Tokyo',
  always: false,
  weekly: [{ days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' }],
  holidays: [],
  nationalHolidays: 'JP',
};

/** What an unknown sender is told when the partner has not chosen a default plan yet. */
export function fallbackPlan(
  supportAddress: string,
): PlanLike & { response_targets: Record<string, string> } {
  return {
    name: 'Baseline',
    support_type: 'パートナー標準サポート (partner baseline support)',
    hours: weekdays,
    contact_methods: [{ kind: 'email', value: supportAddress }],
    price: { included: true },
    response_targets: { urgent: 'PT4H', high: 'PT8H', normal: 'P1D', low: 'P3D' },
  };
}

/** The plan columns of a joined row; the fallback plan when the customer (or the partner) has none. */
export function planFromRow(
  row: {
    plan_id: string | null;
    plan_name: string | null;
    support_type: string | null;
    hours: PlanHours | null;
    contact_methods: PlanLike['contact_methods'] | null;
    price: PlanLike['price'] | null;
    response_targets?: Record<string, string> | null;
  },
  supportAddress: string,
): PlanLike & { response_targets: Record<string, string> } {
  if (!row.plan_id || !row.hours) return fallbackPlan(supportAddress);
  return {
    name: row.plan_name ?? '',
    support_type: row.support_type ?? '',
    hours: row.hours,
    contact_methods: row.contact_methods ?? [],
    price: row.price ?? { included: true },
    response_targets: row.response_targets ?? {},
  };
}
