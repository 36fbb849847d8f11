import { readCaseForReply } from '../cases/case-for-reply.js';
import type { Db } from '../db/database.js';
import { isOpenAt, nextOpening } from '../triage/business-hours.js';
import type { Locale } from '../vocabulary.js';
import { buildReplyContext, planFromRow, type ReplyContext } from './reply-context.js';

// The reply context of an existing case (for replies outside triage: chat transcripts, notifications).

export async function caseReplyContext(
  db: Db,
  caseId: string,
  supportAddress: string,
  now: Date,
  extra: { transcript?: string; contactName?: string | null } = {},
): Promise<{ context: ReplyContext; locale: Locale; zone: string; caseNumber: string }> {
  const row = await readCaseForReply(db, caseId);
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
