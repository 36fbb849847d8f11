import { readCaseForReply } from '../cases/case-for-reply.js';
import type { Db } from '../db/database.js';
import { isOpenAt, nextOpening } from '../triage/business-hours.js';
import { partnerPartOf } from '../triage/mixed-contact.js';
import type { Locale } from '../vocabulary.js';
import { buildReplyContext, planFromRow, type ReplyContext } from './reply-context.js';

// The reply context of an existing case (for replies outside triage: chat transcripts, notifications).

export async function caseReplyContext(
  db: Db,
  caseId: string,
  supportAddress: string,
  now: Date,
  extra: {
    transcript?: string;
    contactName?: string | null;
    /** For someone who works the case: their language, and the customer's words. */
    inside?: { locale: Locale; message: string };
  } = {},
): Promise<{ context: ReplyContext; locale: Locale; zone: string; caseNumber: string }> {
  const row = await readCaseForReply(db, caseId);
  if (!row) throw new Error(`case ${caseId} not found`);
  const plan = planFromRow(row, supportAddress);
  const locale: Locale = extra.inside?.locale ?? (row.locale === 'en' ? 'en' : 'ja');
  const zone = row.customer_zone ?? plan.hours.timeZone;
  const open = isOpenAt(plan.hours, now);
  const context = buildReplyContext({
    locale,
    zone,
    now,
    partnerName: row.partner_name,
    profile: { deskName: row.desk_name, subjectTag: row.subject_tag, signature: row.partner_signature },
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
      partnerPart: partnerPartOf(row.tags),
    },
    customer: {
      name: row.customer_name ?? '',
      verified: row.verified,
      domain: row.customer_domain,
      tenantId: row.tenant_id,
    },
    contact: { name: extra.contactName ?? row.contact_name, email: row.contact_email },
    desk: { open, nextOpen: open ? now : nextOpening(plan.hours, now) },
    transcript: extra.transcript,
    ...(extra.inside && { message: { text: extra.inside.message, first: false } }),
  });
  return { context, locale, zone, caseNumber: row.number };
}
