import { sql } from 'kysely';
import { type CaseForReply, caseForReplyColumns, caseForReplyFrom } from '../cases/case-for-reply.js';
import type { Db } from '../db/database.js';
import { supportFacts } from '../replies/plan-facts.js';
import { planFromRow } from '../replies/reply-context.js';

// The compliance trail: for each case, when it arrived, whether service health was checked and what it
// found, the category and handling with the rule behind them, which of the plan's facts each reply to the
// customer stated, and when the case was handed over and to whom. Read from what the pipeline recorded.

export interface TrailEntry {
  case: number;
  at: Date;
  event:
    | 'arrived'
    | 'health_checked'
    | 'classified'
    | 'facts_disclosed'
    | 'handed_over'
    | 'microsoft_request';
  result: string;
  detail: string;
}

type CaseRow = CaseForReply & {
  id: string;
  first_in_at: Date | null;
  microsoft_request_number: string | null;
  microsoft_request_opened_at: Date | null;
  microsoft_request_status: string | null;
};

const factNames = ['type', 'hours', 'contactMethods', 'price'] as const;
const factLabels: Record<(typeof factNames)[number], string> = {
  type: 'support type',
  hours: 'service hours',
  contactMethods: 'contact method',
  price: 'price',
};

/** The cases created in [from, to), oldest first, at most `limit` (+1 to tell that more were left out). */
export async function trailCases(db: Db, where: { number?: number; from?: Date; to?: Date; limit: number }) {
  const rows = await sql<CaseRow>`select ${caseForReplyColumns}, c.id, c.microsoft_request_number,
      c.microsoft_request_opened_at, c.microsoft_request_status,
      (select min(created_at) from messages where case_id = c.id and direction = 'in') as first_in_at
    from ${caseForReplyFrom()}
    where (${where.number ?? null}::bigint is null or c.number = ${where.number ?? null}::bigint)
      and (${where.from ?? null}::timestamptz is null or c.created_at >= ${where.from ?? null}::timestamptz)
      and (${where.to ?? null}::timestamptz is null or c.created_at < ${where.to ?? null}::timestamptz)
    order by c.created_at, c.number limit ${where.limit + 1}`.execute(db);
  return rows.rows;
}

/** The trail entries of some cases, in time order per case. */
export async function trailOf(
  db: Db,
  cases: readonly CaseRow[],
  supportAddress: string,
): Promise<TrailEntry[]> {
  if (!cases.length) return [];
  const ids = cases.map((c) => c.id);
  const [steps, sends, escalations] = await Promise.all([
    db.selectFrom('triage_records').selectAll().where('case_id', 'in', ids).orderBy('id').execute(),
    db
      .selectFrom('outbox')
      .select([
        'case_id',
        'template_key',
        'purpose',
        'channel',
        'status',
        'body_text',
        'facts_stated',
        'created_at',
        'sent_at',
      ])
      .where('case_id', 'in', ids)
      .where('purpose', 'in', ['auto_reply', 'agent_reply', 'chat_transcript'])
      .orderBy('created_at')
      .execute(),
    db.selectFrom('escalations').selectAll().where('case_id', 'in', ids).execute(),
  ]);
  const byCase = <R extends { case_id: string | null }>(rows: R[]) => {
    const m = new Map<string, R[]>();
    for (const r of rows) if (r.case_id) m.set(r.case_id, [...(m.get(r.case_id) ?? []), r]);
    return m;
  };
  const [stepsOf, sendsOf, escalationsOf] = [byCase(steps), byCase(sends), byCase(escalations)];
  return cases.flatMap((c) =>
    caseEntries(
      c,
      stepsOf.get(c.id) ?? [],
      sendsOf.get(c.id) ?? [],
      escalationsOf.get(c.id) ?? [],
      supportAddress,
    ),
  );
}

function caseEntries(
  c: CaseRow,
  steps: { step: string; result: string; reason: string; created_at: Date }[],
  sends: {
    template_key: string | null;
    purpose: string;
    channel: string;
    status: string;
    body_text: string;
    facts_stated: string | null;
    created_at: Date;
    sent_at: Date | null;
  }[],
  escalations: { target: string; to_address: string | null; reason: string; created_at: Date }[],
  supportAddress: string,
): TrailEntry[] {
  const n = Number(c.number);
  const out: TrailEntry[] = [
    {
      case: n,
      at: c.first_in_at ?? c.created_at,
      event: 'arrived',
      result: c.channel,
      detail: c.contact_email,
    },
  ];
  for (const s of steps) {
    if (s.step === 'health')
      out.push({ case: n, at: s.created_at, event: 'health_checked', result: s.result, detail: s.reason });
    if (s.step === 'category' || s.step === 'rule')
      out.push({ case: n, at: s.created_at, event: 'classified', result: s.result, detail: s.reason });
  }
  // The facts as the customer's plan states them now, in the case's language (for sends without a record).
  const plan = planFromRow(c, supportAddress);
  const facts = supportFacts(plan, c.locale === 'en' ? 'en' : 'ja', c.customer_zone ?? plan.hours.timeZone);
  for (const s of sends) {
    // As recorded when the reply was composed; for older sends, read against the plan as it is now.
    const recorded = s.facts_stated?.split(',').filter(Boolean);
    const stated = factNames.filter((f) =>
      recorded ? recorded.includes(f) : facts[f] && s.body_text.includes(facts[f]),
    );
    const missing = factNames.filter((f) => !stated.includes(f));
    out.push({
      case: n,
      at: s.sent_at ?? s.created_at,
      event: 'facts_disclosed',
      result: s.template_key ?? s.purpose,
      detail: `${s.channel}, ${s.status}; stated: ${stated.map((f) => factLabels[f]).join(', ') || 'none'}${missing.length ? `; not stated: ${missing.map((f) => factLabels[f]).join(', ')}` : ''}`,
    });
  }
  if (c.microsoft_request_opened_at)
    out.push({
      case: n,
      at: c.microsoft_request_opened_at,
      event: 'microsoft_request',
      result: c.microsoft_request_status ?? '',
      detail: `service request ${c.microsoft_request_number ?? '(no number)'}`,
    });
  for (const e of escalations)
    out.push({
      case: n,
      at: e.created_at,
      event: 'handed_over',
      result: e.target,
      detail: `${e.to_address ?? ''} ${e.reason}`.trim(),
    });
  return out.sort((a, b) => a.at.getTime() - b.at.getTime());
}

const csvColumns = ['case', 'at', 'event', 'result', 'detail'] as const;

/** One CSV cell: quoted, and never read as a formula by a spreadsheet. */
function cell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function trailCsv(entries: readonly TrailEntry[]): string {
  const lines = entries.map((e) =>
    [String(e.case), e.at.toISOString(), e.event, e.result, e.detail].map(cell).join(','),
  );
  // The byte-order mark makes spreadsheet programs read the file as UTF-8 (Japanese text included).
  return `\uFEFF${csvColumns.join(',')}\r\n${lines.map((l) => `${l}\r\n`).join('')}`;
}
