import { sql } from 'kysely';
import { audit } from '../admin/audit.js';
import { insertAttachmentsSql, insertMessage, type NewAttachment } from '../cases/message-store.js';
import { formatCaseTag, wireMessageId } from '../cases/threading.js';
import { headerSafe } from '../channels/email/header-safe.js';
import type { Db } from '../db/database.js';
import { mailboxOfKey } from '../mailboxes/mailbox-store.js';
import { newMessageId } from '../replies/compose-reply.js';
import { insertSend } from '../replies/outbox.js';
import { type CaseBefore, recordCorrection } from '../triage/corrections.js';
import type { CaseStatus, Category, Channel, Handling, Priority } from '../vocabulary.js';
import type { AgentCommand } from './commands.js';

// An agent's answer on a case, whichever way it came (a reply by mail, the API): the answer as a message of
// the case, its send to the customer on the case's channel (threaded under the customer's last message, from
// the support address), and what the agent's commands change on the case. Runs in the caller's transaction,
// after `lockCaseForAnswer`.

/** The case as an answer needs it, locked for the transaction. */
export interface CaseToAnswer {
  id: string;
  number: string;
  subject: string;
  channel: Channel;
  status: CaseStatus;
  contact_email: string;
  due_paused_at: Date | null;
  /** The support profile's desk name and case tag format. */
  desk_name: string;
  subject_tag: string;
}

export async function lockCaseForAnswer(tx: Db, number: string): Promise<CaseToAnswer | undefined> {
  const r = await sql<CaseToAnswer>`select c.id, c.number::text as number, c.subject, c.channel, c.status,
      ct.email as contact_email, c.due_paused_at,
      coalesce(pp.desk_name, '') as desk_name, coalesce(pp.subject_tag, '[Case #{number}]') as subject_tag
    from cases c join contacts ct on ct.id = c.contact_id
    left join partner_profile pp on pp.id = 1
    where c.number = ${number}::bigint
    for update of c`.execute(tx);
  return r.rows[0];
}

export interface Answer {
  kase: CaseToAnswer;
  /** Who answers: an agent (by id) or an API principal. */
  author: { agentId: string | null; address: string; name: string | null; actor: string };
  text: string;
  attachments: NewAttachment[];
  commands: readonly AgentCommand[];
  /** The agent `#assign` names, looked up beforehand. */
  assigneeId?: string | null;
  /** The new response-due time should `#status open` end a wait on Microsoft (computed beforehand). */
  resumeDueAt?: Date | null;
  /** The escalation mail `#handover provider` sends, rendered beforehand. */
  providerMail?: { to: string; subject: string; text: string; locale: string } | null;
  supportAddress: string;
  /** Where the answer came from: an agent's mail (the default) or the API and case view. */
  via?: 'mail' | 'api';
}

export interface AnswerWritten {
  messageId: string | null;
  at: Date | null;
  outboxIds: string[];
  status: CaseStatus;
}

/** Writes the answer, its send and the commands' effects; returns the sends to enqueue once committed. */
export async function writeAnswer(tx: Db, a: Answer): Promise<AnswerWritten> {
  const note = a.commands.some((c) => c.name === 'note');
  const outboxIds: string[] = [];
  let message: { id: string; created_at: Date } | null = null;
  if (a.text) {
    const { via, ...thread } = await threadUnderLastInbound(tx, a.kase, a.supportAddress);
    const subject = headerSafe(`Re: ${formatCaseTag(a.kase.subject_tag, a.kase.number)} ${a.kase.subject}`);
    message = await insertMessage(tx, {
      case_id: a.kase.id,
      direction: 'out',
      author: 'agent',
      agent_id: a.author.agentId,
      internal: note,
      channel: a.kase.channel,
      subject,
      text: a.text,
      from_address: a.author.address,
      from_name: a.author.name,
      ...thread,
    });
    if (!message) throw new Error(`the answer on case ${a.kase.number} was not stored`);
    const stored = a.attachments.map((x) => ({ ...x, message_id: message!.id }));
    if (stored.length) await insertAttachmentsSql(stored).execute(tx);
    if (!note) {
      const id = await insertSend(tx, {
        case_id: a.kase.id,
        trigger_message_id: message.id,
        purpose: 'agent_reply',
        template_key: null,
        locale: null,
        automatic: false,
        channel: a.kase.channel,
        to_address: a.kase.contact_email,
        // Out through the mailbox the customer last wrote to (one an admin added), else the environment's.
        from_address: via?.address ?? a.supportAddress,
        mailbox_key: via?.key ?? null,
        // The desk's name, as on every mail to customers; the agent is named on the stored message only.
        from_name: a.kase.desk_name || null,
        subject,
        body_text: a.text,
        ...thread,
      });
      if (!id) throw new Error(`the answer on case ${a.kase.number} already has a send`);
      outboxIds.push(id);
    }
  }
  if (a.providerMail) outboxIds.push(await sendToProvider(tx, a, message?.id ?? null));
  const status = await applyCommands(tx, a, outboxIds.length > 0 && !note);
  await audit(tx, {
    actor: a.author.actor,
    action: a.text ? (note ? 'note' : 'reply') : 'update',
    entity: 'case',
    entityId: a.kase.number,
    after: { messageId: message?.id ?? null, commands: a.commands, status },
  });
  return { messageId: message?.id ?? null, at: message?.created_at ?? null, outboxIds, status };
}

/** A new Message-ID, answering the customer's last message and carrying its References; the mailbox it came in on. */
async function threadUnderLastInbound(tx: Db, kase: CaseToAnswer, supportAddress: string) {
  const lastIn = await tx
    .selectFrom('messages')
    .select(['message_id', 'references', 'mailbox_key'])
    .where('case_id', '=', kase.id)
    .where('direction', '=', 'in')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  const parent = lastIn?.message_id ? wireMessageId(lastIn.message_id) : null;
  return {
    via: await mailboxOfKey(tx, lastIn?.mailbox_key ?? null),
    message_id: newMessageId(supportAddress, kase.number),
    in_reply_to: parent,
    references: [...(lastIn?.references ?? []), ...(parent ? [parent] : [])].slice(-20),
  };
}

/** The escalation to the indirect provider, threaded under the case so the provider's answer comes back to it. */
async function sendToProvider(tx: Db, a: Answer, triggerId: string | null): Promise<string> {
  const mail = a.providerMail!;
  const id = await insertSend(tx, {
    case_id: a.kase.id,
    trigger_message_id: triggerId,
    purpose: 'escalation',
    template_key: 'escalation_indirect_provider',
    locale: mail.locale,
    automatic: false,
    channel: 'email',
    to_address: mail.to,
    from_address: a.supportAddress,
    subject: mail.subject,
    body_text: mail.text,
    message_id: newMessageId(a.supportAddress, a.kase.number),
    in_reply_to: null,
  });
  if (!id) throw new Error(`case ${a.kase.number}: the escalation to the provider was already written`);
  return id;
}

/**
 * The case after the commands: status, priority, assignee, hand-over. An answer sent without a #status makes
 * a new or open case wait on the customer. A hand-over to Microsoft records the request (a second one keeps
 * the first number unless it names another), makes the case wait and stops its response-due clock; `#status
 * open` ends the wait (Microsoft answered) and gives the case a fresh response time from the plan, in its
 * business hours. Resolving or closing the case, or handing it to someone else, ends the wait too.
 */
async function applyCommands(tx: Db, a: Answer, answered: boolean): Promise<CaseStatus> {
  const find = <N extends AgentCommand['name']>(name: N) =>
    a.commands.find((c): c is Extract<AgentCommand, { name: N }> => c.name === name);
  const handover = find('handover');
  let status: CaseStatus = a.kase.status;
  if (answered && (status === 'new' || status === 'open')) status = 'pending';
  if (handover?.target === 'microsoft') status = 'pending';
  status = find('status')?.status ?? status;
  const priority: Priority | null = find('priority')?.priority ?? null;
  const handling: Handling | null = handover
    ? ({ microsoft: 'microsoft', provider: 'indirect_provider', partner: 'partner' } as const)[
        handover.target
      ]
    : null;
  const category: Category | null = find('category')?.category ?? null;
  const before = await triagedNow(tx, a.kase.id);
  const toMicrosoft = handover?.target === 'microsoft';
  const waiting = a.kase.due_paused_at !== null;
  const resume = !toMicrosoft && status === 'open' && waiting;
  // Microsoft no longer has the case: it was resolved, closed or handed to someone else.
  const endWait =
    !toMicrosoft && waiting && (status === 'resolved' || status === 'closed' || handover !== undefined);
  await sql`update cases set status = ${status},
      priority = coalesce(${priority}::text, priority),
      handling = coalesce(${handling}::text, handling),
      category = coalesce(${category}::text, category),
      assignee_id = case when ${a.assigneeId !== undefined}::boolean then ${a.assigneeId ?? null}::uuid else assignee_id end,
      microsoft_request_number = case when ${toMicrosoft}::boolean
        then coalesce(${handover?.requestNumber ?? null}::text, microsoft_request_number)
        else microsoft_request_number end,
      microsoft_request_opened_at = case
        when ${toMicrosoft}::boolean and microsoft_request_status is distinct from 'open' then now()
        else microsoft_request_opened_at end,
      microsoft_request_status = case when ${toMicrosoft}::boolean then 'open'
        when ${resume}::boolean then 'answered'
        when ${endWait}::boolean then 'closed' else microsoft_request_status end,
      due_paused_at = case when ${toMicrosoft}::boolean then coalesce(due_paused_at, now())
        when ${resume || endWait}::boolean then null else due_paused_at end,
      due_at = case when ${resume}::boolean then coalesce(${a.resumeDueAt ?? null}::timestamptz, due_at)
        else due_at end,
      updated_at = now()
    where id = ${a.kase.id}`.execute(tx);
  if (handover && handover.target !== 'partner')
    await sql`insert into escalations (case_id, category, target, to_address, reason)
      select id, category, ${handover.target === 'microsoft' ? 'microsoft' : 'indirect_provider'},
        ${a.providerMail?.to ?? null}::text, ${`handed over by ${a.author.actor}`}
      from cases where id = ${a.kase.id}
      on conflict (case_id) do update set target = excluded.target, to_address = excluded.to_address,
        reason = excluded.reason, status = 'open'`.execute(tx);
  const after = { category: category ?? before.category, handling: handling ?? before.handling };
  await recordCorrection(tx, {
    caseId: a.kase.id,
    actor: a.author.actor,
    via: a.via ?? 'mail',
    before,
    after,
  });
  return status;
}

/** The case's category and handling before the commands, and whether a hand-over is still triage's call. */
async function triagedNow(tx: Db, caseId: string): Promise<CaseBefore> {
  const r = await sql<CaseBefore>`select category, handling, verified,
      (microsoft_request_status is not null
        or exists (select 1 from escalations e where e.case_id = cases.id and e.reason like 'handed over by %'))
        as "handedOver"
    from cases where id = ${caseId}`.execute(tx);
  return r.rows[0]!;
}
