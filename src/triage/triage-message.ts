import { sql } from 'kysely';
import { domainOf } from '../cases/threading.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import { composeReply, newMessageId } from '../replies/compose-reply.js';
import type { Locale, PlanLike } from '../replies/plan-facts.js';
import type { RenderSandbox } from '../replies/render-sandbox.js';
import { buildReplyContext, fallbackPlan } from '../replies/reply-context.js';
import type { TemplateStore } from '../replies/template-store.js';
import { decide } from './decide.js';

export interface TriageDeps {
  db: Db;
  logger: Logger;
  templates: TemplateStore;
  sandbox: RenderSandbox;
  supportAddress: string;
  autoReplyLimitPerHour: number;
  now?: () => Date;
}

export interface TriageResult {
  outboxIds: string[];
  caseNumber: string;
}

/** Triage of one inbound message, and the reply it calls for, decided and written in one transaction. */
export async function triageMessage(
  deps: TriageDeps,
  caseId: string,
  messageId: string,
): Promise<TriageResult> {
  const now = deps.now?.() ?? new Date();
  return deps.db.transaction().execute(async (tx) => {
    const kase = await tx
      .selectFrom('cases')
      .selectAll()
      .where('id', '=', caseId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const caseNumber = String(kase.number);
    const done = await tx
      .selectFrom('triage_records')
      .select('id')
      .where('message_id', '=', messageId)
      .executeTakeFirst();
    if (done) return { outboxIds: [], caseNumber };

    const message = await tx
      .selectFrom('messages')
      .selectAll()
      .where('id', '=', messageId)
      .executeTakeFirstOrThrow();
    const contact = await tx
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', kase.contact_id)
      .executeTakeFirstOrThrow();
    const customer = kase.customer_id
      ? await tx.selectFrom('customers').selectAll().where('id', '=', kase.customer_id).executeTakeFirst()
      : undefined;
    const profile = await tx
      .selectFrom('partner_profile')
      .selectAll()
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    const planId = customer?.plan_id ?? profile.default_plan_id;
    const planRow = planId
      ? await tx.selectFrom('plans').selectAll().where('id', '=', planId).executeTakeFirst()
      : undefined;
    const plan: PlanLike & { response_targets: Record<string, string> } =
      planRow ?? fallbackPlan(deps.supportAddress);

    const firstInbound = await tx
      .selectFrom('messages')
      .select('id')
      .where('case_id', '=', caseId)
      .where('direction', '=', 'in')
      .orderBy('created_at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirstOrThrow();
    const to = contact.email;
    // Serialise replies to one address so the hourly limit holds under concurrency.
    await sql`select pg_advisory_xact_lock(hashtextextended(${`auto-reply\n${to}`}, 0))`.execute(tx);
    const { count } = await tx
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('to_address', '=', to)
      .where('automatic', '=', true)
      .where(sql<boolean>`created_at > now() - interval '1 hour'`)
      .executeTakeFirstOrThrow();

    const decision = decide({
      now,
      newCase: firstInbound.id === messageId,
      priority: kase.priority as 'normal',
      customer: customer ? { id: customer.id, name: customer.name } : null,
      senderDomain: domainOf(contact.email),
      plan: { hours: plan.hours, responseTargets: plan.response_targets },
      autoReplyBlocker: message.auto_reply_blocker,
      automaticRepliesLastHour: Number(count),
      autoReplyLimitPerHour: deps.autoReplyLimitPerHour,
    });

    await tx
      .insertInto('triage_records')
      .values(decision.steps.map((s) => ({ case_id: caseId, message_id: messageId, ...s })))
      .execute();
    if (decision.dueAt && !kase.due_at) {
      await tx
        .updateTable('cases')
        .set({ due_at: decision.dueAt, updated_at: sql`now()` })
        .where('id', '=', caseId)
        .execute();
    }
    if (!decision.replyTemplate) return { outboxIds: [], caseNumber };

    const locale: Locale = kase.locale === 'en' ? 'en' : 'ja';
    const context = buildReplyContext({
      locale,
      zone: customer?.time_zone ?? plan.hours.timeZone,
      now,
      partnerName: profile.name,
      plan,
      caseRow: {
        number: caseNumber,
        subject: kase.subject,
        status: kase.status,
        priority: kase.priority,
        category: kase.category,
        handling: kase.handling,
        channel: kase.channel,
        dueAt: decision.dueAt ?? kase.due_at,
        createdAt: kase.created_at,
      },
      customer: { name: customer?.name ?? '', verified: kase.verified },
      contact: { name: contact.name, email: contact.email },
      desk: { open: decision.deskOpen, nextOpen: decision.nextOpen },
    });
    const reply = await composeReply(deps, decision.replyTemplate, locale, context);
    const outMessageId = newMessageId(deps.supportAddress, caseNumber);
    const references = [...message.references, ...(message.message_id ? [message.message_id] : [])].slice(
      -20,
    );
    const outbox = await tx
      .insertInto('outbox')
      .values({
        case_id: caseId,
        trigger_message_id: messageId,
        purpose: 'auto_reply',
        template_key: reply.templateKey,
        locale,
        channel: 'email',
        automatic: true,
        to_address: to,
        from_address: deps.supportAddress,
        subject: reply.subject,
        body_text: reply.text,
        message_id: outMessageId,
        in_reply_to: message.message_id,
        references,
      })
      .onConflict((oc) => oc.columns(['trigger_message_id', 'purpose']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!outbox) return { outboxIds: [], caseNumber };
    await tx
      .insertInto('messages')
      .values({
        case_id: caseId,
        direction: 'out',
        author: 'system',
        channel: 'email',
        subject: reply.subject,
        text: reply.text,
        full_text: null,
        html: null,
        from_address: deps.supportAddress,
        from_name: null,
        mailbox_key: null,
        message_id: outMessageId,
        in_reply_to: message.message_id,
        references,
        raw_mail_id: null,
        client_id: null,
        auto_reply_blocker: null,
      })
      .execute();
    return { outboxIds: [outbox.id], caseNumber };
  });
}
