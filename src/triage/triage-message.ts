import { type Selectable, sql, type Transaction } from 'kysely';
import { type AgentToTell, activeAgents, recipients, renderNotifications } from '../agents/notifications.js';
import { type CaseForReply, caseForReplyColumns, caseForReplyFrom } from '../cases/case-for-reply.js';
import { domainOf, wireMessageId } from '../cases/threading.js';
import { type Db, prepared } from '../db/database.js';
import type { Database, MessagesTable } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { composeReply, newMessageId } from '../replies/compose-reply.js';
import type { PlanLike } from '../replies/plan-facts.js';
import type { RenderSandbox } from '../replies/render-sandbox.js';
import { buildReplyContext, planFromRow, type ReplyContext } from '../replies/reply-context.js';
import type { TemplateStore } from '../replies/template-store.js';
import { type Category, type Handling, isHandoverCategory, type Locale } from '../vocabulary.js';
import { isOpenAt } from './business-hours.js';
import { type ActiveIncident, type Classification, classify } from './classify.js';
import { decide, overallCapStep, type TriageDecision, type TriageStep } from './decide.js';
import { partnerPartOf } from './mixed-contact.js';
import { takeReplySlots } from './reply-cap.js';
import type { Rule } from './rule-schema.js';
import type { Reading, TriageConfig } from './triage-config.js';
import { type TriageOutcome, type TriageSend, writeTriage } from './triage-write.js';

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
  /** Keys for the reply tokens of agent notifications; no agent is notified without them. */
  replyKeys?: readonly string[];
  replyTokenDays?: number;
}

export interface TriageResult {
  outboxIds: string[];
  caseNumber: string;
}

type Message = Selectable<MessagesTable>;
type TriageRow = CaseForReply & {
  case_id: string;
  msg_id: string;
  msg_subject: Message['subject'];
  msg_text: Message['text'];
  msg_message_id: Message['message_id'];
  msg_references: Message['references'];
  /** The mailbox the message came through (`mailbox:<id>`), and its address when an admin added it. */
  msg_mailbox_key: Message['mailbox_key'];
  mailbox_address: string | null;
  auto_reply_blocker: Message['auto_reply_blocker'];
  sender_unproven: Message['sender_unproven'];
  first_inbound_id: string;
  already_triaged: boolean;
  /** The sends a run that triaged this message before wrote and that still wait (their job may be lost). */
  pending_sends: string[];
  auto_replies_last_hour: string;
  escalated: boolean;
  assignee_id: string | null;
};

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

/** One message to triage: the case it was stored on. */
export interface TriageItem {
  caseId: string;
  messageId: string;
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
  const result = (await triageMessages(deps, [{ caseId, messageId }])).get(messageId);
  if (!result) throw new Error(`case ${caseId} or message ${messageId} not found`);
  return result;
}

/**
 * Triage of a batch of messages: one transaction for messages of distinct cases (a second message of one
 * case waits for the next, so it sees what the first decided), each with one lock, one read and one write.
 * Returns one result per message found, by message id; a message not found is left out.
 */
export async function triageMessages(
  deps: TriageDeps,
  items: readonly TriageItem[],
): Promise<Map<string, TriageResult>> {
  const now = deps.now?.() ?? new Date();
  const [{ rules }, incidents, reading, agents] = await Promise.all([
    deps.triageConfig.rules(),
    deps.triageConfig.activeIncidents(),
    deps.triageConfig.reading(),
    deps.replyKeys ? activeAgents(deps.db) : [],
  ]);
  const results = new Map<string, TriageResult>();
  for (const round of rounds(items)) {
    // Which cap held a reply back is told once the decisions are committed (a retried transaction counts once).
    const { done, capped } = await deps.db.transaction().execute(async (tx) => {
      await lockCases(tx, round);
      const rows = await readRows(tx, round);
      const judged = await judgeAll(deps, round, rows, now, { rules, incidents, ...reading, agents });
      const capped = await takeOverallCap(tx, deps, judged);
      const ids = await writeTriage(
        tx,
        deps.supportAddress,
        judged.map((j) => j.outcome),
      );
      const done = [...rows.values()].map((row) => ({
        messageId: row.msg_id,
        result: {
          outboxIds: row.already_triaged ? row.pending_sends : (ids.get(row.msg_id) ?? []),
          caseNumber: row.number,
        },
      }));
      return { done, capped };
    });
    for (const d of done) results.set(d.messageId, d.result);
    for (const c of capped) reportCapped(deps, c.caseNumber, c.capped);
  }
  return results;
}

/** The items split into rounds in which no case appears twice, in the order given. */
function rounds(items: readonly TriageItem[]): TriageItem[][] {
  const out: TriageItem[][] = [];
  const seenMessages = new Set<string>();
  const roundOfCase = new Map<string, number>();
  for (const item of items) {
    if (seenMessages.has(item.messageId)) continue;
    seenMessages.add(item.messageId);
    const r = (roundOfCase.get(item.caseId) ?? -1) + 1;
    roundOfCase.set(item.caseId, r);
    if (r === out.length) out.push([]);
    out[r]!.push(item);
  }
  return out;
}

/**
 * Locks the cases in id order, then their senders in address order: the order every writer of both keeps
 * (a mail's write reopens its case before it upserts the sender, a batch upserts senders by address), so
 * concurrent work queues rather than deadlocks. The per-sender hourly limit must hold when mails arrive
 * together, and only a statement that starts after the lock is granted sees what the previous holder wrote.
 */
async function lockCases(tx: Transaction<Database>, items: readonly TriageItem[]): Promise<void> {
  const caseIds = items.map((i) => i.caseId);
  if (caseIds.length === 1) {
    // One case and its sender (a chat line, a lone mail): one statement takes both, the case first.
    await sql`${prepared('triage_lock')}
      select 1 from cases join contacts on contacts.id = cases.contact_id
      where cases.id = ${caseIds[0]} for update of cases, contacts`.execute(tx);
    return;
  }
  // Driven from the list of ids, so that each row is found by its key however small the tables look.
  await sql`${prepared('triage_lock_cases')}
    select 1 from unnest(${caseIds}::uuid[]) as x(id) join cases on cases.id = x.id
    order by cases.id for update of cases`.execute(tx);
  await sql`${prepared('triage_lock_contacts')}
    select 1 from unnest(${caseIds}::uuid[]) as x(id) join cases on cases.id = x.id
      join contacts on contacts.id = cases.contact_id
    order by contacts.email for update of contacts`.execute(tx);
}

/** Reads each case, its message and what triage needs to know, by message id. */
async function readRows(
  tx: Transaction<Database>,
  items: readonly TriageItem[],
): Promise<Map<string, TriageRow>> {
  const rows = (
    await sql<TriageRow>`${prepared('triage_read')}
    select ${caseForReplyColumns}, c.id as case_id, m.id as msg_id,
      m.subject as msg_subject, m.text as msg_text, m.message_id as msg_message_id,
      m.references as msg_references, m.auto_reply_blocker, m.sender_unproven,
      m.mailbox_key as msg_mailbox_key,
      (select address from mailboxes where 'mailbox:' || mailboxes.id::text = m.mailbox_key and enabled)
        as mailbox_address,
      (select id from messages where case_id = c.id and direction = 'in' order by created_at, id limit 1)
        as first_inbound_id,
      exists (select 1 from triage_records where message_id = m.id) as already_triaged,
      array(select id from outbox where trigger_message_id = m.id and status = 'pending') as pending_sends,
      (select count(*) from outbox where to_address = ct.email and purpose = 'auto_reply'
        and created_at > now() - interval '1 hour') as auto_replies_last_hour,
      exists (select 1 from escalations where case_id = c.id) as escalated, c.assignee_id
    from ${caseForReplyFrom()}
    join unnest(${items.map((i) => i.caseId)}::uuid[], ${items.map((i) => i.messageId)}::uuid[])
      as q(case_id, message_id) on q.case_id = c.id
    join messages m on m.id = q.message_id and m.case_id = c.id`.execute(tx)
  ).rows;
  return new Map(rows.map((r) => [r.msg_id, r]));
}

/** A message's outcome as decided and rendered, with the cap that held its reply back, if one did. */
interface Judged {
  row: TriageRow;
  outcome: TriageOutcome;
  capped: Capped;
}

/**
 * Judges and renders each message not triaged yet, in the order given. A sender's replies decided earlier in
 * the batch count toward the sender's hourly limit as if they were already written.
 */
async function judgeAll(
  deps: TriageDeps,
  items: readonly TriageItem[],
  rows: Map<string, TriageRow>,
  now: Date,
  config: {
    rules: readonly Rule[];
    incidents: readonly ActiveIncident[];
    agents: readonly AgentToTell[];
  } & Reading,
): Promise<Judged[]> {
  const earlier = new Map<string, number>();
  const out: Judged[] = [];
  for (const { caseId, messageId } of items) {
    const row = rows.get(messageId);
    if (!row || row.already_triaged) continue;
    const plan = planFromRow(row, deps.supportAddress);
    const counted = Number(row.auto_replies_last_hour) + (earlier.get(row.contact_email) ?? 0);
    const j = judge(deps, { ...row, auto_replies_last_hour: String(counted) }, messageId, plan, now, config);
    // Everything is rendered before anything is written, so the writes are one statement.
    const sends = [
      ...(await renderSends(deps, row, plan, now, j)),
      ...(await renderAgentNotifications(deps, row, plan, now, j, config.agents)),
    ];
    if (sends.some((x) => x.purpose === 'auto_reply'))
      earlier.set(row.contact_email, (earlier.get(row.contact_email) ?? 0) + 1);
    const outcome: TriageOutcome = {
      caseId,
      messageId,
      steps: j.steps,
      category: j.category,
      handling: j.handling,
      priority: j.decision.priority,
      tags: j.tags,
      newDue: j.newDue,
      handover: j.handover ? { reason: j.escalationReason, providerMail: j.providerMail } : null,
      sends,
    };
    out.push({
      row,
      outcome,
      capped: j.decision.cappedBy === 'sender' ? { scope: 'sender', firstHeld: false } : null,
    });
  }
  return out;
}

/** Classification, the decision on priority, due time and reply, and the hand-over they call for. */
function judge(
  deps: TriageDeps,
  row: TriageRow,
  messageId: string,
  plan: ReturnType<typeof planFromRow>,
  now: Date,
  config: { rules: readonly Rule[]; incidents: readonly ActiveIncident[] } & Reading,
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

/**
 * Who a notification says it is from: the sender's name with the customer it belongs to, or "unverified".
 * Nothing that reads as an address (`<`, `>`, `@`, quotes) is kept of a name the sender chose.
 */
function notificationFromName(row: TriageRow): string {
  const name = (row.contact_name ?? '')
    .replace(/[<>@"\\]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 80);
  const who = name || row.contact_email.slice(0, row.contact_email.indexOf('@'));
  return `${who} (${row.customer_name && row.verified ? row.customer_name : 'unverified'})`;
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

/**
 * The reply context of the case as triage leaves it, for the customer; or, with `inside`, for someone who
 * works the case (an agent, the indirect provider's desk): in their language, with the customer's words.
 */
function contextOf(
  row: TriageRow,
  plan: ReturnType<typeof planFromRow>,
  now: Date,
  j: Judgement,
  inside?: { locale: Locale; agent?: AgentToTell },
): ReplyContext {
  // An answer to someone nobody vouches for repeats none of their words (their subject, the name they
  // wrote): otherwise anyone could have the desk mail a text of their choosing to any address.
  const stranger = j.decision.replyTemplate === 'unknown_customer' && !inside;
  return buildReplyContext({
    locale: inside?.locale ?? localeOf(row),
    zone: row.customer_zone ?? plan.hours.timeZone,
    now,
    partnerName: row.partner_name,
    profile: { deskName: row.desk_name, subjectTag: row.subject_tag, signature: row.partner_signature },
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
      partnerPart: partnerPartOf(j.classification.tags),
    },
    customer: {
      name: row.customer_name ?? '',
      verified: row.verified,
      domain: row.customer_domain,
      tenantId: row.tenant_id,
    },
    contact: { name: stranger ? null : row.contact_name, email: row.contact_email },
    desk: { open: j.decision.deskOpen, nextOpen: j.decision.nextOpen },
    incident: j.classification.incident,
    ...(inside && {
      agent: { name: inside.agent?.name ?? '' },
      message: { text: row.msg_text, first: j.newCase },
      triage: { reason: j.steps.map((t) => `${t.step}: ${t.reason}`).join('\n') },
    }),
  });
}

// Mail no agent can act on: bounces and our own. (A customer's out-of-office or ticket system still tells
// the agents something about the case.)
const notForAgents = new Set(['mailer-daemon', 'empty-return-path', 'own-address', 'no-sender']);

/** The agents' notifications of a customer's message (none for a bounce). */
async function renderAgentNotifications(
  deps: TriageDeps,
  row: TriageRow,
  plan: ReturnType<typeof planFromRow>,
  now: Date,
  j: Judgement,
  agents: readonly AgentToTell[],
): Promise<TriageSend[]> {
  if (!deps.replyKeys || !agents.length) return [];
  if (row.auto_reply_blocker !== null && notForAgents.has(row.auto_reply_blocker)) return [];
  return renderNotifications(
    { ...deps, replyKeys: deps.replyKeys, replyTokenDays: deps.replyTokenDays ?? 30 },
    {
      caseNumber: row.number,
      agents: recipients(agents, row.assignee_id),
      contextFor: (locale, agent) => contextOf(row, plan, now, j, { locale, agent }),
      fromName: notificationFromName(row),
      now,
    },
  );
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
    // Out through the mailbox the message came in on (one an admin added), else the environment's.
    from_address: row.mailbox_address ?? deps.supportAddress,
    mailbox_key: row.mailbox_address ? row.msg_mailbox_key : null,
    // The support profile's desk name; SUPPORT_ADDRESS's own name when the profile leaves it empty.
    from_name: row.desk_name || null,
  };
  const sends: TriageSend[] = [];
  if (j.providerMail) {
    // In the provider desk's language, with the customer's words.
    const providerLocale = row.provider_locale ?? locale;
    const inside = contextOf(row, plan, now, j, { locale: providerLocale });
    const mail = await composeReply(deps, 'escalation_indirect_provider', providerLocale, inside);
    sends.push({
      ...common,
      locale: providerLocale,
      purpose: 'escalation',
      template_key: 'escalation_indirect_provider',
      channel: 'email',
      to_address: j.providerMail,
      subject: mail.subject,
      body_text: mail.text,
      facts_stated: mail.factsStated,
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
      facts_stated: reply.factsStated,
      message_id: newMessageId(deps.supportAddress, row.number),
      in_reply_to: inReplyTo,
      references: [...row.msg_references, ...(inReplyTo ? [inReplyTo] : [])].slice(-20),
    });
  }
  return sends;
}

/**
 * The cap on automatic mail replies to all senders: taken last, so its row lock is held only for the write
 * and the commit. The replies it holds back (the batch's last) are taken out and their steps say why.
 */
async function takeOverallCap(
  tx: Transaction<Database>,
  deps: TriageDeps,
  judged: Judged[],
): Promise<{ caseNumber: string; capped: NonNullable<Capped> }[]> {
  const wanting = judged.filter((j) =>
    j.outcome.sends.some((s) => s.purpose === 'auto_reply' && s.channel === 'email'),
  );
  const slots = await takeReplySlots(tx, wanting.length, deps.autoReplyLimitPerHourAll);
  const held = wanting.slice(slots.granted);
  held.forEach((j, k) => {
    const { sends, steps } = j.outcome;
    const reply = sends.find((s) => s.purpose === 'auto_reply')!;
    sends.splice(sends.indexOf(reply), 1);
    steps[steps.findIndex((t) => t.step === 'reply')] = overallCapStep(
      reply.template_key ?? '',
      deps.autoReplyLimitPerHourAll,
    );
    j.capped = { scope: 'all', firstHeld: slots.firstHeld && k === 0 };
  });
  return judged.flatMap((j) => (j.capped ? [{ caseNumber: j.row.number, capped: j.capped }] : []));
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
