import { type Insertable, type RawBuilder, sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { CasesTable, ContactsTable } from '../db/schema.js';
import { unnestRows } from '../db/unnest-rows.js';
import type { Category, Handling, Priority } from '../vocabulary.js';
import type { Cell } from './message-store.js';

// Every write of a case and of its contact. As with messages, the writes that are part of a larger statement
// are offered as SQL fragments for a CTE, so one mail or one chat line stays one round trip.

type ContactInsert = Pick<Insertable<ContactsTable>, 'email' | 'name' | 'customer_id'>;
export type NewContact = { [K in keyof Required<ContactInsert>]: Cell<ContactInsert[K]> };

/** A stored contact keeps its name and customer; a new one takes what the message brought. */
const contactConflict = sql`on conflict (email) do update set name = coalesce(contacts.name, excluded.name),
      customer_id = coalesce(contacts.customer_id, excluded.customer_id)`;

/** `insert into contacts ... returning id, customer_id`; a stored contact keeps its name and customer. */
export function upsertContactSql(c: NewContact): RawBuilder<unknown> {
  return sql`insert into contacts (email, name, customer_id)
    values (${c.email}::text, ${c.name}::text, ${c.customer_id}::uuid)
    ${contactConflict}
    returning id, customer_id`;
}

/**
 * Several contacts in one upsert, `returning id, email, customer_id`. An address given twice is written once,
 * from its first row that `vouched` for its name and customer (a proven sender), else from its first row.
 */
export function upsertContactsSql(
  rows: readonly (ContactInsert & { customer_id: string | null; vouched: boolean })[],
): RawBuilder<unknown> {
  const x = unnestRows(
    rows.map((r, ord) => ({ ...r, name: r.name ?? null, ord })),
    { email: 'text', name: 'text', customer_id: 'uuid', vouched: 'boolean', ord: 'int' },
    'x',
  );
  // One order for every writer, so two statements upserting the same addresses wait rather than deadlock.
  return sql`insert into contacts (email, name, customer_id)
    select email, name, customer_id from (
      select distinct on (x.email) x.email, x.name, x.customer_id from ${x}
      order by x.email, x.vouched desc, x.ord) as one_each
    order by email
    ${contactConflict}
    returning id, email, customer_id`;
}

type CaseInsert = Pick<
  Insertable<CasesTable>,
  'id' | 'subject' | 'channel' | 'verified' | 'customer_id' | 'contact_id' | 'locale'
>;
export type NewCase = { [K in keyof CaseInsert]: Cell<CaseInsert[K]> };

/** `insert into cases ... select ... [from ...] returning id, number`: a new case, no due time until triage. */
export function insertCaseSql(c: NewCase, from?: RawBuilder<unknown>): RawBuilder<unknown> {
  const id = c.id === undefined ? sql`gen_random_uuid()` : sql`${c.id}::uuid`;
  return sql`insert into cases (id, subject, channel, verified, customer_id, contact_id, locale, due_at)
    select ${id}, ${c.subject}::text, ${c.channel}::text, ${c.verified}::boolean, ${c.customer_id ?? null}::uuid,
      ${c.contact_id}::uuid, ${c.locale}::text, null${from ? sql` from ${from}` : sql``}
    returning id, number`;
}

/**
 * A customer writing again opens the case again: one waiting on the customer (pending), resolved or closed.
 * One waiting on Microsoft stays pending. Returns id, number of each. The cases are locked in id order
 * first, the order triage keeps too.
 */
export function reopenCasesSql(caseIds: readonly string[]): RawBuilder<unknown> {
  return sql`update cases set status = case
        when status in ('resolved', 'closed') or (status = 'pending' and due_paused_at is null) then 'open'
        else status end,
      updated_at = now()
    from (select cases.id from unnest(${caseIds}::uuid[]) as x(id) join cases on cases.id = x.id
      order by cases.id for update of cases) locked
    where cases.id = locked.id
    returning cases.id, cases.number`;
}

/**
 * A chat visitor writing again opens a case marked resolved or waiting on them (a closed one gets a new case
 * instead); one waiting on Microsoft stays pending.
 */
export async function reopenCase(db: Db, caseId: string): Promise<void> {
  await db
    .updateTable('cases')
    .set({ status: 'open', updated_at: sql`now()` })
    .where('id', '=', caseId)
    .where((eb) =>
      eb.or([
        eb('status', '=', 'resolved'),
        eb.and([eb('status', '=', 'pending'), eb('due_paused_at', 'is', null)]),
      ]),
    )
    .execute();
}

/** What triage decided for some cases; each due time only ever moves earlier (null keeps it). */
export function classifyCasesSql(
  decisions: readonly {
    id: string;
    category: Category;
    handling: Handling;
    priority: Priority;
    tags: string[];
    due_at: Date | null;
  }[],
): RawBuilder<unknown> {
  const x = unnestRows(
    decisions,
    {
      id: 'uuid',
      category: 'text',
      handling: 'text',
      priority: 'text',
      tags: 'text[]',
      due_at: 'timestamptz',
    },
    'x',
  );
  return sql`update cases set category = x.category, handling = x.handling, priority = x.priority,
      tags = x.tags, due_at = coalesce(x.due_at, cases.due_at), updated_at = now()
    from ${x} where cases.id = x.id`;
}

/** An answer went out: a new or open case now waits on the customer. */
export async function markCaseAnswered(db: Db, caseId: string): Promise<void> {
  await db
    .updateTable('cases')
    .set({ status: 'pending', updated_at: new Date() })
    .where('id', '=', caseId)
    .where('status', 'in', ['new', 'open'])
    .execute();
}
