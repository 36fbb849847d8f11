import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { PlanHours } from '../db/schema.js';
import { isOpenAt, nextOpening } from '../triage/business-hours.js';
import type { Locale } from '../vocabulary.js';
import type { PlanLike } from './plan-facts.js';
import { buildReplyContext, planFromRow, type ReplyContext } from './reply-context.js';

// The reply context of an existing case (for replies outside triage: chat transcripts, notifications).

interface Row {
  number: string;
  subject: string;
  status: string;
  priority: string;
  category: string;
  handling: string;
  channel: string;
  verified: boolean;
  locale: string;
  due_at: Date | null;
  created_at: Date;
  contact_email: string;
  contact_name: string | null;
  customer_name: string | null;
  customer_zone: string | null;
  partner_name: string;
  plan_id: string | null;
  plan_name: string | null;
  support_type: string | null;
  hours: PlanHours | null;
  contact_methods: PlanLike['contact_methods'] | null;
  price: PlanLike['price'] | null;
}

export async function caseReplyContext(
  db: Db,
  caseId: string,
  supportAddress: string,
  now: Date,
  extra: { transcript?: string; contactName?: string | null } = {},
): Promise<{ context: ReplyContext; locale: Locale; zone: string; caseNumber: string }> {
  const row = (
    await sql<Row>`
    select c.number::text as number, c.subject, c.status, c.priority, c.category, c.handling, c.channel,
      c.verified, c.locale, c.due_at, c.created_at, ct.email as contact_email, ct.name as contact_name,
      cu.name as customer_name, cu.time_zone as customer_zone, coalesce(pp.name, '') as partner_name,
      p.id as plan_id, p.name as plan_name, p.support_type, p.hours, p.contact_methods, p.price
    from cases c
    join contacts ct on ct.id = c.contact_id
    left join customers cu on cu.id = c.customer_id
    left join partner_profile pp on pp.id = 1
    left join plans p on p.id = coalesce(cu.plan_id, pp.default_plan_id)
    where c.id = ${caseId}`.execute(db)
  ).rows[0];
  if (!row) throw new Error(`case ${caseId} not found`);
  const plan = planFromRow(row, supportAddress);
  const locale: Locale = row.locale === 'en' ? 'en' : 'ja';
  const zone = row.customer_zone ?? plan.hours.timeZone;
  const open = isOpenAt(plan.hours, now);
  const context = buildReplyContext({
    locale,
    zone,
    now,
    partnerName: row.partner_name,
    plan,
    caseRow: {
      number: row.number,
      subject: row.subject,
      status: row.status,
      priority: row.priority,
      category: row.category,
      handling: row.handling,
      channel: row.channel,
      dueAt: row.due_at,
      createdAt: row.created_at,
    },
    customer: { name: row.customer_name ?? '', verified: row.verified },
    contact: { name: extra.contactName ?? row.contact_name, email: row.contact_email },
    desk: { open, nextOpen: open ? now : nextOpening(plan.hours, now) },
    transcript: extra.transcript,
  });
  return { context, locale, zone, caseNumber: row.number };
}
