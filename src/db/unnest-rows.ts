import { type RawBuilder, sql } from 'kysely';

// Many rows as one statement's input: each column travels as one array parameter and `unnest` zips them
// back into rows. A column that is itself a list (`text[]`) would be flattened by unnest, so it travels as
// JSON and is turned back into a list here.

/** Each column's SQL type, e.g. `{ id: 'uuid', subject: 'text', references: 'text[]' }`. */
export type ColumnTypes<R> = { [K in keyof R & string]: string };

/** `unnest(...) as <alias>(...)` (a subquery when a column is a list): the rows, typed, for a `from` clause. */
export function unnestRows<R extends object>(
  rows: readonly R[],
  columns: ColumnTypes<R>,
  alias: string,
): RawBuilder<unknown> {
  const names = Object.keys(columns) as (keyof R & string)[];
  const params = names.map((c) => {
    const type = columns[c];
    const values = rows.map((r) => (r[c] === undefined ? null : r[c]));
    return type.endsWith('[]')
      ? sql`${values.map((v) => JSON.stringify(v ?? []))}::jsonb[]`
      : sql`${values}::${sql.raw(type)}[]`;
  });
  const cols = sql.join(names.map((c) => sql.ref(c)));
  // Without list columns the rows are unnest itself: a subquery less for the planner.
  if (!names.some((c) => columns[c].endsWith('[]')))
    return sql`unnest(${sql.join(params)}) as ${sql.table(alias)}(${cols})`;
  const out = names.map((c) =>
    columns[c].endsWith('[]')
      ? sql`array(select jsonb_array_elements_text(${sql.ref(`u.${c}`)}))::${sql.raw(columns[c])} as ${sql.ref(c)}`
      : sql.ref(`u.${c}`),
  );
  return sql`(select ${sql.join(out)} from unnest(${sql.join(params)}) as u(${cols})) as ${sql.table(alias)}`;
}
