import { sql } from 'kysely';
import { readCaseForReply } from '../cases/case-for-reply.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import { caseReplyContext } from '../replies/case-context.js';
import { composeReply } from '../replies/compose-reply.js';
import type { RenderSandbox } from '../replies/render-sandbox.js';
import { planFromRow } from '../replies/reply-context.js';
import type { TemplateStore } from '../replies/template-store.js';
import { addBusinessTime } from '../triage/business-hours.js';
import type { Locale } from '../vocabulary.js';
import type { AgentCommand } from './commands.js';

// What an agent's commands need before they are written (by mail or through the API): the agent `#assign`
// names, the escalation mail `#handover provider` sends, and the fresh due time `#status open` gives a case
// back from Microsoft. Anything that makes a command impossible is a problem, and nothing is written.

export interface CommandDeps {
  db: Db;
  logger: Logger;
  supportAddress: string;
  templates: Pick<TemplateStore, 'get' | 'earlier' | 'recordFailure'>;
  sandbox: RenderSandbox;
  now?: () => Date;
}

/** What the commands need looked up or rendered before the write. */
export interface Prepared {
  assigneeId?: string;
  providerMail?: { to: string; subject: string; text: string; locale: string };
  resumeDueAt?: Date | null;
}

/** The assignee, the provider's mail and a fresh due time, looked up or rendered before the write. */
export async function prepareCommands(
  deps: CommandDeps,
  caseNumber: string,
  commands: readonly AgentCommand[],
): Promise<Prepared | { problem: string }> {
  const fail = (problem: string) => ({ problem });
  const out: Prepared = {};
  const handover = commands.find((c) => c.name === 'handover');
  const status = commands.find((c) => c.name === 'status');
  if (handover?.target === 'microsoft' && status && status.status !== 'pending')
    return fail('#handover microsoft makes the case wait on Microsoft: leave #status out');
  if (status?.status === 'open') out.resumeDueAt = await freshDueAt(deps, caseNumber, commands);
  for (const c of commands) {
    if (c.name === 'assign') {
      const assignee = (
        await sql<{ id: string }>`select id from agents where lower(email) = ${c.email} and active`.execute(
          deps.db,
        )
      ).rows[0];
      if (!assignee) return fail(`#assign: no active agent ${c.email}`);
      out.assigneeId = assignee.id;
    }
    if (c.name === 'handover' && c.target === 'provider') {
      const mail = await providerMail(deps, caseNumber);
      if (typeof mail === 'string') return fail(mail);
      out.providerMail = mail;
    }
  }
  return out;
}

/** A fresh response-due time from now, by the case's plan and (new) priority, in business hours. */
async function freshDueAt(
  deps: CommandDeps,
  caseNumber: string,
  commands: readonly AgentCommand[],
): Promise<Date | null> {
  const kase = await sql<{ id: string }>`select id from cases where number = ${caseNumber}::bigint`.execute(
    deps.db,
  );
  const row = kase.rows[0] ? await readCaseForReply(deps.db, kase.rows[0].id) : undefined;
  if (!row) return null;
  const plan = planFromRow(row, deps.supportAddress);
  const priority = commands.find((c) => c.name === 'priority')?.priority ?? row.priority;
  const target = plan.response_targets[priority];
  return target ? addBusinessTime(plan.hours, deps.now?.() ?? new Date(), target) : null;
}

/** The escalation mail to the case's indirect provider, or why there is none to send. */
async function providerMail(deps: CommandDeps, caseNumber: string) {
  const row = await sql<{
    id: string;
    relationship: string | null;
    indirect_provider_email: string | null;
    provider_locale: Locale | null;
    locale: Locale;
    words: string | null;
  }>`select c.id, cu.relationship, cu.indirect_provider_email, cu.provider_locale, c.locale,
      (select text from messages where case_id = c.id and direction = 'in' order by created_at, id limit 1) as words
    from cases c left join customers cu on cu.id = c.customer_id
    where c.number = ${caseNumber}::bigint`.execute(deps.db);
  const kase = row.rows[0];
  if (kase?.relationship !== 'indirect')
    return '#handover provider: the customer is not served through an indirect provider';
  if (!kase.indirect_provider_email) return '#handover provider: the customer has no indirectProviderEmail';
  const { context, locale } = await caseReplyContext(deps.db, kase.id, deps.supportAddress, new Date(), {
    inside: { locale: kase.provider_locale ?? kase.locale, message: kase.words ?? '' },
  });
  const mail = await composeReply(deps, 'escalation_indirect_provider', locale, context);
  return { to: kase.indirect_provider_email, subject: mail.subject, text: mail.text, locale };
}
