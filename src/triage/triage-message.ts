import { sql } from 'kysely';
import { domainOf, wireMessageId } from '../cases/threading.js';
import { type Db, prepared } from '../db/database.js';
import type { PlanHours } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { composeReply, newMessageId } from '../replies/compose-reply.js';
import type { PlanLike } from '../replies/plan-facts.js';
import type { RenderSandbox } from '../replies/render-sandbox.js';
import { buildReplyContext, planFromRow } from '../replies/reply-context.js';
import type { TemplateStore } from '../replies/template-store.js';
import { type Channel, isHandoverCategory, type Locale, type TemplateKey } from '../vocabulary.js';
import { isOpenAt } from './business-hours.js';
import { classify } from './classify.js';
import { decide, overallCapStep } from './decide.js';
import { takeReplySlot } from './reply-cap.js';
import type { TriageConfig } from './triage-config.js';

export interface TriageDeps {
  db: Db;
  logger: Logger;
  templates: TemplateStore;
  sandbox: RenderSandbox;
  triageConfig: TriageConfig;
  supportAddress: string;
  autoReplyLimitPerHour: number;
  /** Automatic mail replies to all senders together per hour. */
  autoReplyLimitPerHourAll: number;
  /** Counts replies held back by a cap and replies rendered from a fallback template. */
  metrics?: Pick<Metrics, 'autoReplyCapped' | 'templateFallbacks'>;
  now?: () => Date;
}

export interface TriageResult {
  outboxIds: string[];
  caseNumber: string;
}

interface TriageRow {
  case_number: string;
  subject: string;
  status: string;
  priority: string;
  category: string;
  handling: string;
  channel: Channel;
  verified: boolean;
  locale: string;
  due_at: Date | null;
  tags: string[];
  case_created_at: Date;
  contact_email: string;
  contact_name: string | null;
  customer_id: string | null;
  customer_name: string | null;
  relationship: 'direct' | 'indirect' | null;
  indirect_provider_email: string | null;
  customer_zone: string | null;
  plan_id: string | null;
  plan_name: string | null;
  support_type: string | null;
  hours: PlanHours | null;
  contact_methods: PlanLike['contact_methods'] | null;
  price: PlanLike['price'] | null;
  response_targets: Record<string, string> | null;
  partner_name: string;
  msg_subject: string | null;
  msg_text: string;
  msg_message_id: string | null;
  msg_references: string[];
  auto_reply_blocker: string | null;
  sender_unproven: string | null;
  first_inbound_id: string;
  already_triaged: boolean;
  auto_replies_last_hour: string;
  escalated: boolean;
}

/**
 * Triage of one inbound message (service health, rules, hand-over, hours and SLA) and the replies it calls
 * for, decided and written in one transaction. Running it twice for one message changes nothing.
 */
export async function triageMessage(
  deps: TriageDeps,
  caseId: string,
  messageId: string,
): Promise<TriageResult> {
  const now = deps.now?.() ?? new Date();
  const [{ rules }, incidents] = await Promise.all([
    deps.triageConfig.rules(),
    deps.triageConfig.activeIncidents(),
  ]);
  // Which cap held the reply back, told once the decision is committed (a retried transaction counts once).
  let capped: { scope: 'sender' | 'all'; firstHeld: boolean } | null = null;
  const result = await deps.db.transaction().execute(async (tx) => {
    capped = null;
    // Lock the case and the sender first: the per-sender hourly limit must hold when mails arrive together,
    // and only a statement that starts after the lock is granted sees what the previous holder wrote.
    await sql`${prepared('triage_lock')}
      select 1 from cases join contacts on contacts.id = cases.contact_id
      where cases.id = ${caseId} for update of cases, contacts`.execute(tx);
    const row = (
      await sql<TriageRow>`${prepared('triage_read')}
      select c.number::text as case_number, c.subject, c.status, c.priority, c.category, c.handling, c.channel,
        c.verified, c.locale, c.due_at, c.tags, c.created_at as case_created_at,
        ct.email as contact_email, ct.name as contact_name,
        cu.id as customer_id, cu.name as customer_name, cu.relationship, cu.indirect_provider_email,
        cu.time_zone as customer_zone,
        p.id as plan_id, p.name as plan_name, p.support_type, p.hours, p.contact_methods, p.price,
        p.response_targets,
        coalesce(pp.name, '') as partner_name,
        m.subject as msg_subject, m.text as msg_text, m.message_id as msg_message_id,
        m.references as msg_references, m.auto_reply_blocker, m.sender_unproven,
        (select id from messages where case_id = c.id and direction = 'in' order by created_at, id limit 1)
          as first_inbound_id,
        exists (select 1 from triage_records where message_id = m.id) as already_triaged,
        (select count(*) from outbox where to_address = ct.email and purpose = 'auto_reply'
          and created_at > now() - interval '1 hour') as auto_replies_last_hour,
        exists (select 1 from escalations where case_id = c.id) as escalated
      from cases c
      join contacts ct on ct.id = c.contact_id
      join messages m on m.id = ${messageId} and m.case_id = c.id
      left join customers cu on cu.id = c.customer_id
      left join partner_profile pp on pp.id = 1
      left join plans p on p.id = coalesce(cu.plan_id, pp.default_plan_id)
      where c.id = ${caseId}`.execute(tx)
    ).rows[0];
    if (!row) throw new Error(`case ${caseId} or message ${messageId} not found`);
    const caseNumber = row.case_number;
    if (row.already_triaged) return { outboxIds: [], caseNumber };

    const plan = planFromRow(row, deps.supportAddress);
    const locale: Locale = row.locale === 'en' ? 'en' : 'ja';
    const newCase = row.first_inbound_id === messageId;
    const customer = row.customer_id
      ? { id: row.customer_id, relationship: row.relationship ?? 'direct', planId: row.plan_id }
      : null;

    const classification = classify({
      subject: newCase ? (row.msg_subject ?? row.subject) : '',
      body: row.msg_text,
      channel: row.channel,
      locale,
      customer,
      verified: row.verified,
      withinHours: isOpenAt(plan.hours, now),
      incidents,
      rules,
    });
    const decision = decide({
      now,
      newCase,
      priority: row.priority as 'normal',
      customer: row.customer_id ? { id: row.customer_id, name: row.customer_name ?? '' } : null,
      senderDomain: domainOf(row.contact_email),
      plan: { hours: plan.hours, responseTargets: plan.response_targets },
      autoReplyBlocker: row.auto_reply_blocker,
      automaticRepliesLastHour: Number(row.auto_replies_last_hour),
      autoReplyLimitPerHour: deps.autoReplyLimitPerHour,
      senderUnproven: row.sender_unproven,
      classification,
    });
    if (decision.cappedBy === 'sender') capped = { scope: 'sender', firstHeld: false };
    const [customerStep, ...decisionSteps] = decision.steps;

    // A follow-up only fills in what the case lacks: an unclassified case takes the new category.
    const takeCategory = newCase || row.category === 'unclassified';
    const category = takeCategory ? classification.category : row.category;
    const handling = takeCategory ? classification.handling : row.handling;
    const tags = [...new Set([...row.tags, ...classification.tags])];
    const steps = [customerStep!, ...classification.steps, ...decisionSteps];
    // Nothing is handed over on the word of a sender the receiving server did not vouch for.
    const handover =
      isHandoverCategory(category) &&
      !row.escalated &&
      customer !== null &&
      row.sender_unproven === null &&
      (handling === 'microsoft' || handling === 'indirect_provider');
    let escalationReason = '';
    if (handover) {
      escalationReason =
        handling === 'microsoft'
          ? `${category}: handed to Microsoft for a direct-bill customer`
          : row.indirect_provider_email
            ? `${category}: escalated to the indirect provider ${row.indirect_provider_email}`
            : `${category}: the indirect provider takes it, but the customer has no indirectProviderEmail; escalate by hand`;
      steps.push({ step: 'handover', result: handling, reason: escalationReason });
    }

    // A first due time, or an earlier one when a follow-up raised the priority; never a later one.
    const newDue =
      decision.dueAt && (!row.due_at || decision.dueAt < new Date(row.due_at)) ? decision.dueAt : null;
    const zone = row.customer_zone ?? plan.hours.timeZone;
    // An answer to someone nobody vouches for repeats none of their words (their subject, the name they
    // wrote): otherwise anyone could have the desk mail a text of their choosing to any address.
    const stranger = decision.replyTemplate === 'unknown_customer';
    const context = buildReplyContext({
      locale,
      zone,
      now,
      partnerName: row.partner_name,
      plan,
      caseRow: {
        number: caseNumber,
        subject: stranger ? '' : row.subject,
        status: row.status,
        priority: decision.priority,
        category,
        handling,
        channel: row.channel,
        dueAt: newDue ?? row.due_at,
        createdAt: row.case_created_at,
      },
      customer: { name: row.customer_name ?? '', verified: row.verified },
      contact: { name: stranger ? null : row.contact_name, email: row.contact_email },
      desk: { open: decision.deskOpen, nextOpen: decision.nextOpen },
      incident: classification.incident,
    });
    const inReplyTo = row.msg_message_id ? wireMessageId(row.msg_message_id) : null;
    const references = [...row.msg_references, ...(inReplyTo ? [inReplyTo] : [])].slice(-20);

    // Everything is rendered before anything is written, so the writes are one statement.
    const sends: OutboxWrite[] = [];
    const providerMail = handover && handling === 'indirect_provider' ? row.indirect_provider_email : null;
    if (providerMail) {
      const mail = await composeReply(deps, 'escalation_indirect_provider', locale, context);
      sends.push({
        purpose: 'escalation',
        templateKey: 'escalation_indirect_provider',
        channel: 'email',
        to: providerMail,
        subject: mail.subject,
        text: mail.text,
        outMessageId: newMessageId(deps.supportAddress, caseNumber),
        inReplyTo: null,
      });
    }
    if (decision.replyTemplate) {
      const reply = await composeReply(deps, decision.replyTemplate, locale, context, row.channel);
      sends.push({
        purpose: 'auto_reply',
        templateKey: reply.templateKey,
        channel: row.channel,
        to: row.contact_email,
        subject: reply.subject,
        text: reply.text,
        outMessageId: newMessageId(deps.supportAddress, caseNumber),
        inReplyTo,
      });
    }

    // The overall cap is taken last, so its row lock is held only for the write and the commit.
    const reply = sends.find((w) => w.purpose === 'auto_reply');
    if (reply?.channel === 'email') {
      const slot = await takeReplySlot(tx, deps.autoReplyLimitPerHourAll);
      if (!slot.taken) {
        sends.splice(sends.indexOf(reply), 1);
        steps[steps.findIndex((t) => t.step === 'reply')] = overallCapStep(
          reply.templateKey,
          deps.autoReplyLimitPerHourAll,
        );
        capped = { scope: 'all', firstHeld: slot.firstHeld };
      }
    }

    const col = <K extends keyof OutboxWrite>(k: K) => sends.map((w) => w[k]);
    const written = await sql<{ id: string }>`${prepared('triage_write')}
      with tr as (
        insert into triage_records (case_id, message_id, step, result, reason)
        select ${caseId}::uuid, ${messageId}::uuid, x.step, x.result, x.reason
        from unnest(${steps.map((t) => t.step)}::text[], ${steps.map((t) => t.result)}::text[],
          ${steps.map((t) => t.reason)}::text[]) as x(step, result, reason)
      ), upd as (
        update cases set category = ${category}, handling = ${handling}, priority = ${decision.priority},
          tags = ${tags}::text[], due_at = coalesce(${newDue}::timestamptz, due_at), updated_at = now()
        where id = ${caseId}::uuid
      ), esc as (
        insert into escalations (case_id, category, target, to_address, reason)
        select ${caseId}::uuid, ${category}, ${handling}, ${providerMail}, ${escalationReason}
        where ${handover}
        on conflict (case_id) do nothing
      ), ob as (
        insert into outbox (case_id, trigger_message_id, purpose, template_key, locale, channel, automatic,
          to_address, from_address, subject, body_text, message_id, in_reply_to, "references")
        select ${caseId}::uuid, ${messageId}::uuid, x.purpose, x.template_key, ${locale}, x.channel, true,
          x.to_address, ${deps.supportAddress}, x.subject, x.body, x.message_id, x.in_reply_to,
          case when x.purpose = 'auto_reply' then ${references}::text[] else '{}'::text[] end
        from unnest(${col('purpose')}::text[], ${col('templateKey')}::text[], ${col('channel')}::text[],
          ${col('to')}::text[], ${col('subject')}::text[], ${col('text')}::text[], ${col('outMessageId')}::text[],
          ${col('inReplyTo')}::text[])
          as x(purpose, template_key, channel, to_address, subject, body, message_id, in_reply_to)
        on conflict (trigger_message_id, purpose) do nothing
        returning id, purpose, channel, subject, body_text, message_id, in_reply_to, "references"
      ), msg as (
        insert into messages (case_id, direction, author, channel, subject, text, full_text, html, from_address,
          from_name, mailbox_key, message_id, in_reply_to, "references", raw_mail_id, client_id, auto_reply_blocker)
        select ${caseId}::uuid, 'out', 'system', ob.channel, ob.subject, ob.body_text, null, null,
          ${deps.supportAddress}, null, null, ob.message_id, ob.in_reply_to, ob."references", null, null, null
        from ob where ob.purpose = 'auto_reply'
      )
      select id from ob`.execute(tx);
    return { outboxIds: written.rows.map((r) => r.id), caseNumber };
  });
  if (capped) reportCapped(deps, result.caseNumber, capped);
  return result;
}

function reportCapped(
  deps: TriageDeps,
  caseNumber: string,
  capped: { scope: 'sender' | 'all'; firstHeld: boolean },
): void {
  deps.metrics?.autoReplyCapped.inc({ scope: capped.scope });
  if (capped.scope === 'sender') {
    deps.logger.info({ caseNumber }, 'automatic reply held back: the sender reached the hourly limit');
  } else if (capped.firstHeld) {
    // Once an hour across all processes: the hour's row counts the held replies.
    deps.logger.warn(
      { caseNumber, limit: deps.autoReplyLimitPerHourAll },
      'automatic replies to all senders reached the hourly cap; further ones this hour are held back',
    );
  } else {
    deps.logger.debug({ caseNumber }, 'automatic reply held back by the hourly cap');
  }
}

/** One reply or escalation mail, rendered, to be written to the outbox. */
interface OutboxWrite {
  purpose: 'auto_reply' | 'escalation';
  templateKey: TemplateKey;
  channel: Channel;
  to: string;
  subject: string;
  text: string;
  outMessageId: string;
  inReplyTo: string | null;
}
