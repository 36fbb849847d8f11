import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { subjectTagFormat } from '../cases/subject-tag-format.js';
import { caseNumberFromSubject } from '../cases/threading.js';
import type { NormalisedMail } from '../channels/email/normalise-mail.js';
import { judgeSender, senderPassed } from '../channels/email/sender-authentication.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import { insertSend } from '../replies/outbox.js';
import type { RenderSandbox } from '../replies/render-sandbox.js';
import type { TemplateStore } from '../replies/template-store.js';
import type { Locale } from '../vocabulary.js';
import { lockCaseForAnswer, writeAnswer } from './agent-answer.js';
import { prepareCommands } from './command-effects.js';
import { type AgentCommand, readCommands } from './commands.js';
import { isNotificationId } from './notification-ids.js';
import { type RejectReason, rejectionNotice } from './rejection-notice.js';
import { readReplyToken, tokenInAddress } from './reply-token.js';

// Mail answering an agent notification. It becomes the agent's answer only when its reply address carries a
// valid token, the token's agent is active and is the sender, and the receiving server does not say the
// sender is forged. Anything else is kept with the reason, and the agent (at their registered address, never
// the mail's sender) is told, a few times an hour at most. Out-of-office replies and bounces are dropped.

export interface AgentMailDeps {
  db: Db;
  logger: Logger;
  supportAddress: string;
  replyKeys: readonly string[];
  authservId?: string;
  templates: Pick<TemplateStore, 'get' | 'earlier' | 'recordFailure'>;
  sandbox: RenderSandbox;
  now?: () => Date;
}

export interface AgentMailIn {
  rawMailId: string;
  mail: NormalisedMail;
  from: { address: string; name: string | null };
}

export interface AgentMailResult {
  outcome: 'agent_mail';
  verdict: 'answered' | 'rejected' | 'dropped' | 'already-done';
  reason: string;
  caseNumber: string | null;
  /** Sends written (the answer, an escalation, a notice), to enqueue. */
  outboxIds: string[];
}

interface AgentRow {
  id: string;
  number: string;
  email: string;
  name: string;
  locale: Locale;
  active: boolean;
}

/** At most this many notices about undelivered mail go to one agent in an hour. */
const noticesPerHour = 5;

type Judged =
  | { ok: false; reason: RejectReason; detail: string; tell: AgentRow | null; caseNumber: string | null }
  | { ok: true; agent: AgentRow; caseNumber: string; commands: AgentCommand[]; text: string };

const outOfOffice =
  /^\s*(automatic reply|auto(matic)?[- ]?reply|autoreply|out of (the )?office|ooo\b|abwesenheitsnotiz|réponse automatique|自動応答|自動返信|不在)/i;

/** Why a mail is a robot's (out-of-office, bounce, list), or null for a person's. */
function robotReason(mail: NormalisedMail): string | null {
  const b = mail.autoReplyBlocker;
  if (b !== null && b !== 'mailbox-backlog') return b;
  return outOfOffice.test(mail.subject) ? 'out-of-office subject' : null;
}

/**
 * Whether a mail that looks like an answer to a notification is an agent's: it comes from an agent's address,
 * or carries a reply token we signed and is not from the case's own contact (who may answer "reply all" to
 * a thread an agent copied them on). Anything else is a customer's mail, whatever address it went to.
 */
export async function answersAsAgent(
  deps: Pick<AgentMailDeps, 'db' | 'supportAddress' | 'replyKeys' | 'now'>,
  m: Pick<AgentMailIn, 'mail' | 'from'>,
): Promise<boolean> {
  if (await agentWhere(deps.db, sql`lower(email) = ${m.from.address}`)) return true;
  for (const r of m.mail.recipients) {
    const token = tokenInAddress(r, deps.supportAddress);
    const read = token ? readReplyToken(deps.replyKeys, token, deps.now?.() ?? new Date()) : null;
    if (!read?.ok) continue;
    const contact = await sql`select 1 from cases c join contacts ct on ct.id = c.contact_id
      where c.number = ${read.caseNumber}::bigint and ct.email = ${m.from.address}`.execute(deps.db);
    return contact.rows.length === 0;
  }
  return false;
}

export async function takeInAgentMail(deps: AgentMailDeps, m: AgentMailIn): Promise<AgentMailResult> {
  const robot = robotReason(m.mail);
  if (robot) return record(deps, m, { outcome: 'dropped', reason: 'auto_reply', detail: robot });
  const judged = await judge(deps, m);
  if (!judged.ok) return reject(deps, m, judged);
  const prepared = await prepareCommands(deps, judged.caseNumber, judged.commands);
  if ('problem' in prepared)
    return reject(deps, m, {
      ok: false,
      reason: 'command_failed',
      detail: prepared.problem,
      tell: judged.agent,
      caseNumber: judged.caseNumber,
    });
  const result = await deps.db.transaction().execute(async (tx) => {
    if (!(await claimRaw(tx, m.rawMailId))) return null;
    const first = await sql<{ id: string }>`insert into agent_mails
        (raw_mail_id, outcome, reason, from_address, subject, message_id, agent_id)
      values (${m.rawMailId}, 'answered', 'answered', ${m.from.address}, ${m.mail.subject.slice(0, 500)},
        ${m.mail.messageId}, ${judged.agent.id})
      on conflict (lower(from_address), message_id) where outcome = 'answered' do nothing
      returning id`.execute(tx);
    if (!first.rows.length) {
      await insertAgentMail(tx, m, { outcome: 'dropped', reason: 'duplicate', detail: 'sent twice' });
      return { verdict: 'dropped' as const, reason: 'duplicate', outboxIds: [] };
    }
    const kase = await lockCaseForAnswer(tx, judged.caseNumber);
    if (!kase) throw new Error(`case ${judged.caseNumber} vanished`);
    await sql`update agent_mails set case_id = ${kase.id} where id = ${first.rows[0]!.id}`.execute(tx);
    const written = await writeAnswer(tx, {
      kase,
      author: {
        agentId: judged.agent.id,
        address: judged.agent.email,
        name: judged.agent.name,
        actor: `agent:${judged.agent.email}`,
      },
      text: judged.text,
      attachments: answerAttachments(m.mail),
      commands: judged.commands,
      ...prepared,
      supportAddress: deps.supportAddress,
    });
    return { verdict: 'answered' as const, reason: 'answered', outboxIds: written.outboxIds };
  });
  if (!result) return done(judged.caseNumber);
  deps.logger.info(
    { caseNumber: judged.caseNumber, rawMailId: m.rawMailId, verdict: result.verdict },
    'agent mail taken in',
  );
  return { outcome: 'agent_mail', caseNumber: judged.caseNumber, ...result };
}

function done(caseNumber: string | null): AgentMailResult {
  return { outcome: 'agent_mail', verdict: 'already-done', reason: '', caseNumber, outboxIds: [] };
}

/** The checks, in order; the first that fails names the reason. */
async function judge(deps: AgentMailDeps, m: AgentMailIn): Promise<Judged> {
  const fail = (
    reason: RejectReason,
    detail: string,
    tell: AgentRow | null,
    caseNumber: string | null = null,
  ) => ({ ok: false, reason, detail, tell: tell?.active ? tell : null, caseNumber }) as const;
  const sender = await agentWhere(deps.db, sql`lower(email) = ${m.from.address}`);
  const token = m.mail.recipients.map((r) => tokenInAddress(r, deps.supportAddress)).find((t) => t) ?? null;
  if (!token) return fail('no_token', '', sender);
  const read = readReplyToken(deps.replyKeys, token, deps.now?.() ?? new Date());
  if (!read.ok) return fail(read.reason === 'expired' ? 'expired_token' : 'bad_token', read.reason, sender);
  const caseNumber = String(read.caseNumber);
  const agent = await agentWhere(deps.db, sql`number = ${read.agentNumber}`);
  if (!agent) return fail('unknown_agent', '', sender, caseNumber);
  if (!agent.active) return fail('inactive_agent', '', sender, caseNumber);
  if (agent.email.toLowerCase() !== m.from.address)
    return fail('not_the_agent', `sent from ${m.from.address}`, agent, caseNumber);
  // With a receiving server to believe, an agent's mail must be proven, not merely not disproven.
  const proof = judgeSender(m.mail.authenticationResults, deps.authservId, m.from.address);
  if (proof.status === 'unproven') return fail('sender_unproven', proof.reason, agent, caseNumber);
  if (deps.authservId && !senderPassed(m.mail.authenticationResults, deps.authservId, m.from.address))
    return fail('sender_unproven', `no passing, aligned result from ${deps.authservId}`, agent, caseNumber);
  const mismatch = otherCase(m.mail, caseNumber, deps.supportAddress, await subjectTagFormat(deps.db));
  if (mismatch) return fail('case_mismatch', mismatch, agent, caseNumber);
  const kase = await sql`select 1 from cases where number = ${caseNumber}::bigint`.execute(deps.db);
  if (!kase.rows.length) return fail('unknown_case', '', agent, caseNumber);
  const read2 = readCommands(m.mail.agentReply?.text ?? '');
  if (!read2.ok) return fail('bad_command', read2.problems.join('; '), agent, caseNumber);
  if (!read2.text && !read2.commands.some((c) => c.name !== 'note'))
    return fail('empty_answer', '', agent, caseNumber);
  return { ok: true, agent, caseNumber, commands: read2.commands, text: read2.text };
}

/** Another case named by the subject tag or a notification the mail refers to; null when none. */
function otherCase(
  mail: NormalisedMail,
  caseNumber: string,
  supportAddress: string,
  tagFormat: string,
): string | null {
  const tagged = caseNumberFromSubject(mail.subject, tagFormat);
  if (tagged !== null && tagged !== caseNumber) return `the subject names case ${tagged}`;
  for (const id of [mail.inReplyTo, ...mail.references]) {
    const n = id && isNotificationId(id, supportAddress) ? /^<case-(\d+)\./.exec(id)?.[1] : undefined;
    if (n !== undefined && n !== caseNumber) return `the thread is case ${n}'s`;
  }
  return null;
}

async function agentWhere(db: Db, where: ReturnType<typeof sql>): Promise<AgentRow | null> {
  const r = await sql<AgentRow>`select id, number::text as number, email, name, locale, active from agents
    where ${where} limit 1`.execute(db);
  return r.rows[0] ?? null;
}

/** The files of the answer: all of them, but inline images only where the kept words show them. */
function answerAttachments(mail: NormalisedMail) {
  const kept = mail.agentReply?.keptCids ?? null;
  return mail.attachments
    .filter((a) => !(kept && a.cid && a.contentType.startsWith('image/') && !kept.includes(a.cid)))
    .map((a) => ({
      filename: a.filename,
      content_type: a.contentType,
      size: a.size,
      content: a.content,
      omitted_reason: a.omittedReason,
    }));
}

/** Marks the raw mail taken; false when another run took it already. */
async function claimRaw(tx: Db, rawMailId: string): Promise<boolean> {
  const r = await sql`update raw_mails set state = 'agent_mail', processed_at = now()
    where id = ${rawMailId} and state = 'received'`.execute(tx);
  return Number(r.numAffectedRows ?? 0) > 0;
}

async function insertAgentMail(
  tx: Db,
  m: AgentMailIn,
  r: { outcome: 'rejected' | 'dropped'; reason: string; detail: string; agentId?: string | null },
  caseNumber: string | null = null,
): Promise<void> {
  await sql`insert into agent_mails (raw_mail_id, outcome, reason, detail, from_address, subject, message_id,
      agent_id, case_id)
    values (${m.rawMailId}, ${r.outcome}, ${r.reason}, ${r.detail.slice(0, 2000)}, ${m.from.address},
      ${m.mail.subject.slice(0, 500)}, ${m.mail.messageId}, ${r.agentId ?? null},
      (select id from cases where number = ${caseNumber}::bigint))
    on conflict (raw_mail_id) do nothing`.execute(tx);
}

/** A dropped mail (an out-of-office reply, a bounce), kept on record only. */
async function record(
  deps: AgentMailDeps,
  m: AgentMailIn,
  r: { outcome: 'dropped'; reason: string; detail: string },
): Promise<AgentMailResult> {
  const taken = await deps.db.transaction().execute(async (tx) => {
    if (!(await claimRaw(tx, m.rawMailId))) return false;
    await insertAgentMail(tx, m, r);
    return true;
  });
  if (!taken) return done(null);
  deps.logger.info(
    { rawMailId: m.rawMailId, reason: r.detail },
    'automatic answer to a notification dropped',
  );
  return { outcome: 'agent_mail', verdict: 'dropped', reason: r.reason, caseNumber: null, outboxIds: [] };
}

/** Keeps the mail with the reason and, within the hourly limit, tells the agent. */
async function reject(
  deps: AgentMailDeps,
  m: AgentMailIn,
  j: Extract<Judged, { ok: false }>,
): Promise<AgentMailResult> {
  const outboxIds = await deps.db.transaction().execute(async (tx) => {
    if (!(await claimRaw(tx, m.rawMailId))) return null;
    await insertAgentMail(
      tx,
      m,
      { outcome: 'rejected', reason: j.reason, detail: j.detail, agentId: j.tell?.id ?? null },
      j.caseNumber,
    );
    if (!j.tell) return [];
    const id = await tellAgent(tx, deps, m, j, j.tell);
    return id ? [id] : [];
  });
  if (outboxIds === null) return done(j.caseNumber);
  deps.logger.warn(
    { rawMailId: m.rawMailId, caseNumber: j.caseNumber, reason: j.reason, told: outboxIds.length > 0 },
    'agent mail rejected: not delivered',
  );
  return {
    outcome: 'agent_mail',
    verdict: 'rejected',
    reason: j.reason,
    caseNumber: j.caseNumber,
    outboxIds,
  };
}

async function tellAgent(
  tx: Db,
  deps: AgentMailDeps,
  m: AgentMailIn,
  j: Extract<Judged, { ok: false }>,
  agent: AgentRow,
): Promise<string | null> {
  const recent = await sql<{ n: string }>`select count(*) as n from outbox
    where purpose = 'agent_notice' and agent_id = ${agent.id} and created_at > now() - interval '1 hour'`.execute(
    tx,
  );
  if (Number(recent.rows[0]!.n) >= noticesPerHour) return null;
  const notice = rejectionNotice(
    { reason: j.reason, detail: j.detail, caseNumber: j.caseNumber, subject: m.mail.subject },
    agent.locale,
  );
  const domain = deps.supportAddress.slice(deps.supportAddress.lastIndexOf('@') + 1);
  const id = await insertSend(tx, {
    case_id: j.caseNumber
      ? ((await sql<{ id: string }>`select id from cases where number = ${j.caseNumber}::bigint`.execute(tx))
          .rows[0]?.id ?? null)
      : null,
    trigger_message_id: null,
    purpose: 'agent_notice',
    template_key: null,
    locale: agent.locale,
    automatic: true,
    agent_id: agent.id,
    channel: 'email',
    to_address: agent.email,
    from_address: deps.supportAddress,
    subject: notice.subject,
    body_text: notice.text,
    message_id: `<${j.caseNumber ? `case-${j.caseNumber}.` : ''}notice.${randomUUID()}@${domain}>`,
    in_reply_to: m.mail.messageId,
  });
  if (id) await sql`update agent_mails set told = true where raw_mail_id = ${m.rawMailId}`.execute(tx);
  return id;
}
