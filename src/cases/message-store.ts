import { type Insertable, type RawBuilder, sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { AttachmentsTable, MessagesTable } from '../db/schema.js';
import { unnestRows } from '../db/unnest-rows.js';

// Every message row, whatever channel or author it comes from, is written here: one column list, one
// insert. Most writes are part of a larger statement (one round trip per mail or chat line), so the insert
// is offered as an SQL fragment that a statement puts in a CTE; `insertMessage` runs it on its own.

type MessageInsert = Omit<Insertable<MessagesTable>, 'id' | 'created_at'>;

/** A column's value: a value sent as a parameter, or an expression over the statement's other CTEs. */
export type Cell<T> = T | RawBuilder<T>;

/**
 * A message row. `id` is chosen by the caller only when other rows of the statement must name it;
 * `created_at` only when one statement writes several messages, to keep the order they came in.
 */
export type NewMessage = { [K in keyof MessageInsert]: Cell<MessageInsert[K]> } & {
  id?: Cell<string>;
  created_at?: Cell<Date>;
};

/** The column list and each column's SQL type (parameters are cast, so Postgres never has to guess). */
const messageColumns = {
  case_id: 'uuid',
  direction: 'text',
  author: 'text',
  channel: 'text',
  subject: 'text',
  text: 'text',
  full_text: 'text',
  html: 'text',
  from_address: 'text',
  from_name: 'text',
  mailbox_key: 'text',
  message_id: 'text',
  in_reply_to: 'text',
  references: 'text[]',
  raw_mail_id: 'bigint',
  client_id: 'text',
  auto_reply_blocker: 'text',
  sender_unproven: 'text',
  agent_id: 'uuid',
  internal: 'boolean',
} as const satisfies { [K in keyof Required<MessageInsert>]: string };

const columnNames = Object.keys(messageColumns) as (keyof typeof messageColumns)[];

/** An expression naming a column of another CTE (or table) of the statement. */
export function ref<T>(name: string): RawBuilder<T> {
  return sql<T>`${sql.ref(name)}`;
}

export interface InsertMessageOptions {
  /** The rows the values range over (`kase`, `ob where ...`); one row when absent. */
  from?: RawBuilder<unknown>;
  /** A chat line retried by the widget is one message: its clientId is unique on the case. */
  skipDuplicateClientId?: boolean;
}

/** `insert into messages (...) select ... [from ...]`, to be followed by a `returning` clause as needed. */
export function insertMessageSql(m: NewMessage, options: InsertMessageOptions = {}): RawBuilder<unknown> {
  const values = columnNames.map((c) => {
    const v: unknown = m[c] === undefined ? (c === 'references' ? [] : null) : m[c];
    // Only an agent's note is internal; every other writer leaves the flag out.
    if (c === 'internal') return sql`coalesce((${v})::boolean, false)`;
    return sql`(${v})::${sql.raw(messageColumns[c])}`;
  });
  const from = options.from ? sql` from ${options.from}` : sql``;
  const conflict = options.skipDuplicateClientId
    ? sql` on conflict (case_id, client_id) where client_id is not null do nothing`
    : sql``;
  const chosen = [
    ...(m.id === undefined ? [] : [{ name: sql.ref('id'), value: sql`(${m.id})::uuid` }]),
    ...(m.created_at === undefined
      ? []
      : [{ name: sql.ref('created_at'), value: sql`(${m.created_at})::timestamptz` }]),
  ];
  const names = [...chosen.map((c) => c.name), ...columnNames.map((c) => sql.ref(c))];
  return sql`insert into messages (${sql.join(names)})
    select ${sql.join([...chosen.map((c) => c.value), ...values])}${from}${conflict}`;
}

/**
 * Many messages in one insert, each with the id its caller chose (so that other rows of the statement can name
 * it), in the order given: `created_at` a microsecond apart, so the first message of a case stays its first.
 * `where` filters the input rows, named `x`.
 */
export function insertMessageRowsSql(
  rows: readonly ({ id: string } & MessageInsert)[],
  where: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const input = unnestRows(
    rows.map((r, ord) => ({ ...r, ord })),
    { ord: 'int', id: 'uuid', ...messageColumns },
    'x',
  );
  const columns = Object.fromEntries(columnNames.map((c) => [c, ref(`x.${c}`)])) as NewMessage;
  return insertMessageSql(
    { ...columns, id: ref<string>('x.id'), created_at: sql<Date>`now() + x.ord * interval '1 microsecond'` },
    { from: sql`${input} where ${where}` },
  );
}

/** Writes one message on its own; null when a chat line with this clientId is already on the case. */
export async function insertMessage(
  db: Db,
  m: NewMessage,
  options: Omit<InsertMessageOptions, 'from'> = {},
): Promise<{ id: string; created_at: Date } | null> {
  const r = await sql<{ id: string; created_at: Date }>`${insertMessageSql(m, options)}
    returning id, created_at`.execute(db);
  return r.rows[0] ?? null;
}

export type NewAttachment = Pick<
  Insertable<AttachmentsTable>,
  'filename' | 'size' | 'content' | 'omitted_reason'
> & { content_type: string };

/** The attachments of several messages in one insert, each naming its message's id; `where` filters rows `x`. */
export function insertAttachmentsSql(
  attachments: readonly (NewAttachment & { message_id: string })[],
  where: RawBuilder<unknown> = sql`true`,
): RawBuilder<unknown> {
  const rows = unnestRows(
    attachments.map((a) => ({ ...a, content: a.content ?? null, omitted_reason: a.omitted_reason ?? null })),
    {
      message_id: 'uuid',
      filename: 'text',
      content_type: 'text',
      size: 'int',
      content: 'bytea',
      omitted_reason: 'text',
    },
    'x',
  );
  return sql`insert into attachments (message_id, filename, content_type, size, content, omitted_reason)
    select x.message_id, x.filename, x.content_type, x.size, x.content, x.omitted_reason
    from ${rows} where ${where}`;
}
