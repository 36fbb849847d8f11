import { type Insertable, type RawBuilder, sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { OutboxTable } from '../db/schema.js';
import { payloadOf } from '../pipeline/queue-contract.js';
import type { Queues } from '../pipeline/queues.js';

// Every send (acknowledgements, agent answers, escalations, chat transcripts) is an outbox row written here,
// in the transaction that decided it, and enqueued for the outbound stage only once that has committed: a
// job never names a row that might still roll back, and a row whose enqueue was lost is found by the
// recovery sweeper.

export type NewSend = Omit<Insertable<OutboxTable>, 'id' | 'status' | 'attempts' | 'created_at'>;

/** The columns written, each with the SQL type of its array parameter. */
const sendColumns = {
  case_id: 'uuid',
  trigger_message_id: 'uuid',
  purpose: 'text',
  template_key: 'text',
  locale: 'text',
  channel: 'text',
  automatic: 'boolean',
  to_address: 'text',
  from_address: 'text',
  subject: 'text',
  body_text: 'text',
  message_id: 'text',
  in_reply_to: 'text',
  agent_id: 'uuid',
  reply_to: 'text',
  from_name: 'text',
  body_html: 'text',
  facts_stated: 'text',
  mailbox_key: 'text',
} as const satisfies { [K in keyof NewSend]?: string };

const columnNames = Object.keys(sendColumns) as (keyof typeof sendColumns)[];

/**
 * `insert into outbox ... on conflict do nothing` for any number of sends in one statement (put it in a CTE
 * and add a `returning` clause). One send per triggering message and purpose: a retried decision adds none.
 */
export function insertSendsSql(sends: readonly NewSend[]): RawBuilder<unknown> {
  const arrays = columnNames.map((c) => sql`${sends.map((s) => s[c] ?? null)}::${sql.raw(sendColumns[c])}[]`);
  // A row's References is itself a list; unnest would flatten a list of lists, so each travels as JSON.
  const references = sends.map((s) => JSON.stringify(s.references ?? []));
  const names = sql.join(columnNames.map((c) => sql.ref(c)));
  return sql`insert into outbox (${names}, "references")
    select ${sql.join(columnNames.map((c) => sql.ref(`x.${c}`)))},
      array(select jsonb_array_elements_text(x."references"))
    from unnest(${sql.join(arrays)}, ${references}::jsonb[]) as x(${names}, "references")
    on conflict (trigger_message_id, purpose, coalesce(agent_id, '00000000-0000-0000-0000-000000000000'::uuid))
      do nothing`;
}

/** Writes one send in the caller's transaction; null when its message already has a send of this purpose. */
export async function insertSend(db: Db, send: NewSend): Promise<string | null> {
  const r = await sql<{ id: string }>`${insertSendsSql([send])} returning id`.execute(db);
  return r.rows[0]?.id ?? null;
}

/** Hands committed outbox rows to the outbound stage: one job for them all, deduplicated by their ids. */
export async function enqueueSends(queues: Pick<Queues, 'add'>, outboxIds: readonly string[]) {
  if (outboxIds.length) await queues.add('outbound', payloadOf.outbound(outboxIds));
}
