import type { Db } from '../db/database.js';
import { addBusinessTime, isOpenAt, nextOpening } from '../triage/business-hours.js';
import type { Locale } from '../vocabulary.js';
import { buildReplyContext, fallbackPlan, planFromRow, type ReplyContext } from './reply-context.js';

// The case a template is previewed and linted against: a made-up customer of a real plan (the one asked for,
// else the partner's default, else the baseline), with every variable of the reply context filled in.

export async function sampleReplyContext(
  db: Db,
  o: { supportAddress: string; locale: Locale; planId?: string | null; now?: Date },
): Promise<{ context: ReplyContext; planName: string }> {
  const now = o.now ?? new Date();
  const row = await db
    .selectFrom('plans')
    .selectAll()
    .where(
      'id',
      '=',
      o.planId ??
        db.selectFrom('partner_profile').select('default_plan_id').where('id', '=', 1).$castTo<string>(),
    )
    .executeTakeFirst();
  const plan = row
    ? planFromRow({ ...row, plan_id: row.id, plan_name: row.name }, o.supportAddress)
    : fallbackPlan(o.supportAddress);
  const profile = await db
    .selectFrom('partner_profile')
    .select(['name', 'desk_name', 'subject_tag', 'signature'])
    .where('id', '=', 1)
    .executeTakeFirst();
  const open = isOpenAt(plan.hours, now);
  const ja = o.locale === 'ja';
  const context = buildReplyContext({
    locale: o.locale,
    zone: plan.hours.timeZone,
    now,
    partnerName: profile?.name ?? '',
    profile: profile
      ? { deskName: profile.desk_name, subjectTag: profile.subject_tag, signature: profile.signature }
      : undefined,
    plan,
    caseRow: {
      number: '1042',
      subject: ja ? 'Exchange Online にサインインできません' : 'Cannot sign in to Exchange Online',
      status: 'new',
      priority: 'normal',
      category: 'configuration',
      handling: 'partner',
      channel: 'email',
      dueAt: addBusinessTime(plan.hours, now, plan.response_targets.normal ?? 'P1D'),
      createdAt: now,
    },
    customer: {
      name: 'Contoso Japan',
      verified: true,
      domain: 'contoso.co.jp',
      tenantId: 'contoso.onmicrosoft.com',
    },
    contact: { name: ja ? '山田 太郎' : 'Taro Yamada', email: 'taro@contoso.co.jp' },
    desk: { open, nextOpen: open ? now : nextOpening(plan.hours, now) },
    transcript: ja
      ? 'お客様: サインインできません\n担当: 確認します'
      : 'Customer: I cannot sign in\nAgent: Let me check',
    agent: { name: ja ? '加藤 恵' : 'Megumi Kato' },
    message: {
      text: ja ? 'サインインすると AADSTS50076 が表示されます。' : 'Signing in shows AADSTS50076.',
      first: true,
    },
    triage: { reason: 'rule: matched "サインイン"' },
    incident: null,
  });
  return { context, planName: row?.name ?? plan.name };
}
