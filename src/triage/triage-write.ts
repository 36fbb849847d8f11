import { sql, type Transaction } from 'kysely';
import { classifyCasesSql } from '../cases/case-store.js';
import { insertMessageSql, ref } from '../cases/message-store.js';
import { prepared } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { unnestRows } from '../db/unnest-rows.js';
import { insertSendsSql, type NewSend } from '../replies/outbox.js';
import type { Category, Handling, Priority } from '../vocabulary.js';
import type { TriageStep } from './decide.js';

// What triage decided for a batch of messages, written in one statement: the triage records, each case's new
// state, the hand-overs, the sends, and the automatic replies as messages of their cases.

/** A send triage decided on, before it is tied to the case and message in the write. */
export type TriageSend = Omit<NewSend, 'case_id' | 'trigger_message_id'>;

export interface TriageOutcome {
  caseId: string;
  messageId: string;
  steps: TriageStep[];
  category: Category;
  handling: Handling;
  priority: Priority;
  tags: string[];
  /** A first due time, or an earlier one; null keeps the case's. */
  newDue: Date | null;
  /** A hand-over made now, with its reason and the provider mailed about it. */
  handover: { reason: string; providerMail: string | null } | null;
  sends: TriageSend[];
}

/** Writes the outcomes; returns the outbox ids written for each message (by message id). */
export async function writeTriage(
  tx: Transaction<Database>,
  supportAddress: string,
  outcomes: readonly TriageOutcome[],
): Promise<Map<string, string[]>> {
  const steps = outcomes.flatMap((o) =>
    o.steps.map((t) => ({ case_id: o.caseId, message_id: o.messageId, ...t })),
  );
  const handovers = outcomes.flatMap((o) =>
    o.handover
      ? [
          {
            case_id: o.caseId,
            category: o.category,
            target: o.handling,
            to_address: o.handover.providerMail,
            reason: o.handover.reason,
          },
        ]
      : [],
  );
  const sends = outcomes.flatMap((o) =>
    o.sends.map((s) => ({ ...s, case_id: o.caseId, trigger_message_id: o.messageId })),
  );
  const written = await sql<{ id: string; trigger_message_id: string }>`${prepared('triage_write')}
    with tr as (
      insert into triage_records (case_id, message_id, step, result, reason)
      select x.case_id, x.message_id, x.step, x.result, x.reason
      from ${unnestRows(steps, { case_id: 'uuid', message_id: 'uuid', step: 'text', result: 'text', reason: 'text' }, 'x')}
    ), upd as (
      ${classifyCasesSql(
        outcomes.map((o) => ({
          id: o.caseId,
          category: o.category,
          handling: o.handling,
          priority: o.priority,
          tags: o.tags,
          due_at: o.newDue,
        })),
      )}
    ), esc as (
      insert into escalations (case_id, category, target, to_address, reason)
      select x.case_id, x.category, x.target, x.to_address, x.reason
      from ${unnestRows(handovers, { case_id: 'uuid', category: 'text', target: 'text', to_address: 'text', reason: 'text' }, 'x')}
      on conflict (case_id) do nothing
    ), ob as (
      ${insertSendsSql(sends)}
      returning id, case_id, trigger_message_id, purpose, channel, subject, body_text, message_id, in_reply_to,
        "references"
    ), msg as (
      ${insertMessageSql(
        {
          case_id: ref<string>('ob.case_id'),
          direction: 'out',
          author: 'system',
          channel: ref<string>('ob.channel'),
          subject: ref<string>('ob.subject'),
          text: ref<string>('ob.body_text'),
          from_address: supportAddress,
          message_id: ref<string>('ob.message_id'),
          in_reply_to: ref<string | null>('ob.in_reply_to'),
          references: ref<string[]>('ob.references'),
        },
        { from: sql`ob where ob.purpose = 'auto_reply'` },
      )}
    )
    select id, trigger_message_id from ob`.execute(tx);
  const ids = new Map<string, string[]>(outcomes.map((o) => [o.messageId, []]));
  for (const r of written.rows) ids.get(r.trigger_message_id)?.push(r.id);
  return ids;
}
