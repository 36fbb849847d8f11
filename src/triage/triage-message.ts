import { type Selectable, sql, type Transaction } from 'kysely';
import { type CaseForReply, caseForReplyColumns, caseForReplyFrom } from '../cases/case-for-reply.js';
import { classifyCaseSql } from '../cases/case-store.js';
import { insertMessageSql, ref } from '../cases/message-store.js';
import { domainOf, wireMessageId } from '../cases/threading.js';
import { type Db, prepared } from '../db/database.js';
import type { Database, MessagesTable } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { composeReply, newMessageId } from '../replies/compose-reply.js';
import { insertSendsSql, type NewSend } from '../replies/outbox.js';
import type { PlanLike } from '../replies/plan-facts.js';
import type { RenderSandbox } from '../replies/render-sandbox.js';
import { buildReplyContext, planFromRow, type ReplyContext } from '../replies/reply-context.js';
import type { TemplateStore } from '../replies/template-store.js';
import { type Category, type Handling, isHandoverCategory, type Locale } from '../vocabulary.js';
import { isOpenAt } from './business-hours.js';
import { type ActiveIncident, type Classification, classify } from './classify.js';
import { decide, overallCapStep, type TriageDecision, type TriageStep } from './decide.js';
import { takeReplySlot } from './reply-cap.js';
import type { Rule } from './rule-schema.js';
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

type Message = Selectable<MessagesTable>;
type TriageRow = CaseForReply & {
  msg_subject: Message['subject'];
  msg_text: Message['text'];
  msg_message_id: Message['message_id'];
  msg_references: Message['references'];
  auto_reply_blocker: Message['auto_reply_blocker'];
  sender_unproven: Message['sender_unproven'];
  first_inbound_id: string;
  already_triaged: boolean;
  auto_replies_last_hour: string;
  escalated: boolean;
};

/** A send triage decided on, before it is tied to the case and message in the write. */
type TriageSend = Omit<NewSend, 'case_id' | 'trigger_message_id'>;

/** Which cap held the reply back. */
type Capped = { scope: 'sender' | 'all'; firstHeld: boolean } | null;

/** What triage makes of one message, before anything is rendered or written. */
interface Judgement {
  newCase: boolean;
  classification: Classification;
  decision: TriageDecision;
  steps: TriageStep[];
  category: Category;
  handling: Handling;
  tags: string[];
  /** Handed over now (to Microsoft or to the indirect provider), with the reason. */
  handover: boolean;
  escalationReason: string;
  /** The provider to mail about a hand-over, if any. */
  providerMail: string | null;
  /** A first due time, or an earlier one; null keeps the case's. */
  newDue: Date | null;
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
  // Which cap held the reply back is told once the decision is committed (a retried transaction counts once).
  const { result, capped } = await deps.db.transaction().execute(async (tx) => {
    const row = await readLocked(tx, caseId, messageId);
    if (row.already_triaged) return { result: { outboxIds: [], caseNumber: row.number }, capped: null };
    const plan = planFromRow(row, deps.supportAddress);
    const judged = judge(deps, row, messageId, plan, now, { rules, incidents });
    let capped: Capped = judged.decision.cappedBy === 'sender' ? { scope: 'sender', firstHeld: false } : null;
    // Everything is rendered before anything is written, so the writes are one statement.
    const sends = await renderSends(deps, row, plan, now, judged);
    capped = (await takeOverallCap(tx, deps, sends, judged.steps)) ?? capped;
    const outboxIds = await writeTriage(tx, deps, { caseId, messageId }, judged, sends);
    return { result: { outboxIds, caseNumber: row.number }, capped };
  });
  if (capped) reportCapped(deps, result.caseNumber, capped);
  return result;
}

/** Locks the case and the sender, then reads the case, the message and what triage needs to know. */
async function readLocked(tx: Transaction<Database>, caseId: string, messageId: string): Promise<TriageRow> {
  // The per-sender hourly limit must hold when mails arrive together, and only a statement that starts after
  // the lock is granted sees what the previous holder wrote.
  await sql`${prepared('triage_lock')}
    select 1 from cases join contacts on contacts.id = cases.contact_id
    where cases.id = ${caseId} for update of cases, contacts`.execute(tx);
  const row = (
    await sql<TriageRow>`${prepared('triage_read')}
    select ${caseForReplyColumns},
      m.subject as msg_subject, m.text as msg_text, m.message_id as msg_message_id,
      m.references as msg_references, m.auto_reply_blocker, m.sender_unproven,
      (select id from messages where case_id = c.id and direction = 'in' order by created_at, id limit 1)
        as first_inbound_id,
      exists (select 1 from triage_records where message_id = m.id) as already_triaged,
      (select count(*) from outbox where to_address = ct.email and purpose = 'auto_reply'
        and created_at > now() - interval '1 hour') as auto_replies_last_hour,
      exists (select 1 from escalations where case_id = c.id) as escalated
    from ${caseForReplyFrom()}
    join messages m on m.id = ${messageId} and m.case_id = c.id
    where c.id = ${caseId}`.execute(tx)
  ).rows[0];
  if (!row) throw new Error(`case ${caseId} or message ${messageId} not found`);
  return row;
}

/** Classification, the decision on priority, due time and reply, and the hand-over they call for. */
function judge(
  deps: TriageDeps,
  row: TriageRow,
  messageId: string,
  plan: ReturnType<typeof planFromRow>,
  now: Date,
  config: { rules: readonly Rule[]; incidents: readonly ActiveIncident[] },
): Judgement {
  const locale = localeOf(row);
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
    ...config,
  });
  const decision = decide({
    now,
    newCase,
    priority: row.priority,
    customer: row.customer_id ? { id: row.customer_id, name: row.customer_name ?? '' } : null,
    senderDomain: domainOf(row.contact_email),
    plan: { hours: plan.hours, responseTargets: plan.response_targets },
    autoReplyBlocker: row.auto_reply_blocker,
    automaticRepliesLastHour: Number(row.auto_replies_last_hour),
    autoReplyLimitPerHour: deps.autoReplyLimitPerHour,
    senderUnproven: row.sender_unproven,
    classification,
  });
  const [customerStep, ...decisionSteps] = decision.steps;
  // A follow-up only fills in what the case lacks: an unclassified case takes the new category.
  const takeCategory = newCase || row.category === 'unclassified';
  const category = takeCategory ? classification.category : row.category;
  const handling = takeCategory ? classification.handling : row.handling;
  const steps = [customerStep!, ...classification.steps, ...decisionSteps];
  const handover = handoverOf(row, category, handling, customer !== null);
  if (handover) steps.push({ step: 'handover', result: handling, reason: handover.reason });
  return {
    newCase,
    classification,
    decision,
    steps,
    category,
    handling,
    tags: [...new Set([...row.tags, ...classification.tags])],
    handover: handover !== null,
    escalationReason: handover?.reason ?? '',
    providerMail: handover && handling === 'indirect_provider' ? row.indirect_provider_email : null,
    // A first due time, or an earlier one when a follow-up raised the priority; never a later one.
    newDue: decision.dueAt && (!row.due_at || decision.dueAt < new Date(row.due_at)) ? decision.dueAt : null,
  };
}

function localeOf(row: TriageRow): Locale {
  return row.locale === 'en' ? 'en' : 'ja';
}

/** A hand-over this message calls for, with its reason; null when none (or one was made already). */
function handoverOf(
  row: TriageRow,
  category: Category,
  handling: Handling,
  known: boolean,
): { reason: string } | null {
  // Nothing is handed over on the word of a sender the receiving server did not vouch for.
  if (!isHandoverCategory(category) || row.escalated || !known || row.sender_unproven !== null) return null;
  if (handling === 'microsoft')
    return { reason: `${category}: handed to Microsoft for a direct-bill customer` };
  if (handling !== 'indirect_provider') return null;
  return {
    reason: row.indirect_provider_email
      ? `${category}: escalated to the indirect provider ${row.indirect_provider_email}`
      : `${category}: the indirect provider takes it, but the customer has no indirectProviderEmail; escalate by hand`,
  };
}

/** The reply context of the case as triage leaves it. */
function contextOf(
  row: TriageRow,
  plan: ReturnType<typeof planFromRow>,
  now: Date,
  j: Judgement,
): ReplyContext {
  // An answer to someone nobody vouches for repeats none of their words (their subject, the name they
  // wrote): otherwise anyone could have the desk mail a text of their choosing to any address.
  const stranger = j.decision.replyTemplate === 'unknown_customer';
  return buildReplyContext({
    locale: localeOf(row),
    zone: row.customer_zone ?? plan.hours.timeZone,
    now,
    partnerName: row.partner_name,
    plan,
    caseRow: {
      number: row.number,
      subject: stranger ? '' : row.subject,
      status: row.status,
      priority: j.decision.priority,
      category: j.category,
      handling: j.handling,
      channel: row.channel,
      dueAt: j.newDue ?? row.due_at,
      createdAt: row.created_at,
    },
    customer: { name: row.customer_name ?? '', verified: row.verified },
    contact: { name: stranger ? null : row.contact_name, email: row.contact_email },
    desk: { open: j.decision.deskOpen, nextOpen: j.decision.nextOpen },
    incident: j.classification.incident,
  });
}

/** The escalation mail to an indirect provider and the reply to the customer, rendered. */
async function renderSends(
  deps: TriageDeps,
  row: TriageRow,
  plan: PlanLike & { response_targets: Record<string, string> },
  now: Date,
  j: Judgement,
): Promise<TriageSend[]> {
  const locale = localeOf(row);
  const context = contextOf(row, plan, now, j);
  const common = {
    locale,
    automatic: true,
    from_address: deps.supportAddress,
  };
  const sends: TriageSend[] = [];
  if (j.providerMail) {
    const mail = await composeReply(deps, 'escalation_indirect_provider', locale, context);
    sends.push({
      ...common,
      purpose: 'escalation',
      template_key: 'escalation_indirect_provider',
      channel: 'email',
      to_address: j.providerMail,
      subject: mail.subject,
      body_text: mail.text,
      message_id: newMessageId(deps.supportAddress, row.number),
      in_reply_to: null,
      references: [],
    });
  }
  if (j.decision.replyTemplate) {
    const reply = await composeReply(deps, j.decision.replyTemplate, locale, context, row.channel);
    const inReplyTo = row.msg_message_id ? wireMessageId(row.msg_message_id) : null;
    sends.push({
      ...common,
      purpose: 'auto_reply',
      template_key: reply.templateKey,
      channel: row.channel,
      to_address: row.contact_email,
      subject: reply.subject,
      body_text: reply.text,
      message_id: newMessageId(deps.supportAddress, row.number),
      in_reply_to: inReplyTo,
      references: [...row.msg_references, ...(inReplyTo ? [inReplyTo] : [])].slice(-20),
    });
  }
  return sends;
}

/**
 * The cap on automatic mail replies to all senders: taken last, so its row lock is held only for the write
 * and the commit. A reply it holds back is taken out of `sends` and its step says why.
 */
async function takeOverallCap(
  tx: Transaction<Database>,
  deps: TriageDeps,
  sends: TriageSend[],
  steps: TriageStep[],
): Promise<Capped> {
  const reply = sends.find((w) => w.purpose === 'auto_reply');
  if (reply?.channel !== 'email') return null;
  const slot = await takeReplySlot(tx, deps.autoReplyLimitPerHourAll);
  if (slot.taken) return null;
  sends.splice(sends.indexOf(reply), 1);
  steps[steps.findIndex((t) => t.step === 'reply')] = overallCapStep(
    reply.template_key ?? '',
    deps.autoReplyLimitPerHourAll,
  );
  return { scope: 'all', firstHeld: slot.firstHeld };
}

/** The triage record, the case's new state, the hand-over, the sends and the reply's message: one statement. */
async function writeTriage(
  tx: Transaction<Database>,
  deps: TriageDeps,
  ids: { caseId: string; messageId: string },
  j: Judgement,
  sends: TriageSend[],
): Promise<string[]> {
  const { caseId, messageId } = ids;
  const steps = j.steps;
  const rows = sends.map((s) => ({ ...s, case_id: caseId, trigger_message_id: messageId }));
  const written = await sql<{ id: string }>`${prepared('triage_write')}
    with tr as (
      insert into triage_records (case_id, message_id, step, result, reason)
      select ${caseId}::uuid, ${messageId}::uuid, x.step, x.result, x.reason
      from unnest(${steps.map((t) => t.step)}::text[], ${steps.map((t) => t.result)}::text[],
        ${steps.map((t) => t.reason)}::text[]) as x(step, result, reason)
    ), upd as (
      ${classifyCaseSql(caseId, {
        category: j.category,
        handling: j.handling,
        priority: j.decision.priority,
        tags: j.tags,
        dueAt: j.newDue,
      })}
    ), esc as (
      insert into escalations (case_id, category, target, to_address, reason)
      select ${caseId}::uuid, ${j.category}, ${j.handling}, ${j.providerMail}, ${j.escalationReason}
      where ${j.handover}
      on conflict (case_id) do nothing
    ), ob as (
      ${insertSendsSql(rows)}
      returning id, purpose, channel, subject, body_text, message_id, in_reply_to, "references"
    ), msg as (
      ${insertMessageSql(
        {
          case_id: caseId,
          direction: 'out',
          author: 'system',
          channel: ref<string>('ob.channel'),
          subject: ref<string>('ob.subject'),
          text: ref<string>('ob.body_text'),
          from_address: deps.supportAddress,
          message_id: ref<string>('ob.message_id'),
          in_reply_to: ref<string | null>('ob.in_reply_to'),
          references: ref<string[]>('ob.references'),
        },
        { from: sql`ob where ob.purpose = 'auto_reply'` },
      )}
    )
    select id from ob`.execute(tx);
  return written.rows.map((r) => r.id);
}

function reportCapped(deps: TriageDeps, caseNumber: string, capped: NonNullable<Capped>): void {
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
