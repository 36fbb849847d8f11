import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { CaseRow, MessageRow, PlanHours } from '../db/schema.js';
import { isOpenAt } from './business-hours.js';
import type { ActiveIncident } from './classify.js';
import { correctedContact, loadCorrections, type Replay, tallyCorrections } from './corrections.js';
import type { PlainContact, Verdicts } from './judge.js';
import { type Judges, judgesOnThisThread } from './judge-threads.js';
import type { Rule } from './rule-schema.js';
import type { Reading } from './triage-config.js';

/** Corrections replayed at most (the newest, one per case). */
const MAX_CORRECTIONS = 20_000;

// Re-classifies the last N cases with the current and with a proposed rule set, without writing anything,
// and lists the cases whose category, handling or priority the change would move. Incidents count as they
// did for the case (its tags). What the case holds now (agents' edits included) is shown beside.

export interface DryRunChange {
  number: number;
  subject: string;
  /** What the case holds now. */
  current: { category: string; handling: string; priority: string };
  /** What the current rules make of it. */
  from: { category: string; handling: string; priority: string };
  to: { category: string; handling: string; priority: string };
  rules: string[];
}

export interface DryRunResult {
  evaluated: number;
  changed: number;
  durationMs: number;
  changes: DryRunChange[];
  /** The corrections people made, replayed as a labelled set: how many the change fixes and breaks. */
  corrections: Replay;
}

/** What a case gives the dry run: what classify reads of it and what it holds now. */
interface Row {
  number: string;
  subject: string;
  category: CaseRow['category'];
  handling: CaseRow['handling'];
  priority: CaseRow['priority'];
  channel: CaseRow['channel'];
  locale: CaseRow['locale'];
  verified: boolean;
  tags: string[];
  customer_id: string | null;
  relationship: 'direct' | 'indirect' | null;
  plan_id: string | null;
  hours: PlanHours | null;
  msg_subject: MessageRow['subject'] | null;
  msg_text: MessageRow['text'] | null;
  msg_at: MessageRow['created_at'] | null;
}

/** The newest `limit` cases, of those created in [from, to) when a period is given. */
export interface DryRunScope {
  limit: number;
  from?: Date;
  to?: Date;
}

function readRecentCases(db: Db, scope: DryRunScope) {
  const from = scope.from ?? null;
  const to = scope.to ?? null;
  const recent = sql`(select * from cases
    where (${from}::timestamptz is null or created_at >= ${from}::timestamptz)
      and (${to}::timestamptz is null or created_at < ${to}::timestamptz)
    order by created_at desc limit ${scope.limit})`;
  return sql<Row>`
    select c.number::text as number, c.subject, c.category, c.handling, c.priority, c.channel, c.locale,
      c.verified, c.tags, cu.id as customer_id, cu.relationship, p.id as plan_id, p.hours,
      m.subject as msg_subject, m.text as msg_text, m.created_at as msg_at
    from ${recent} c
    left join customers cu on cu.id = c.customer_id
    left join partner_profile pp on pp.id = 1
    left join plans p on p.id = coalesce(cu.plan_id, pp.default_plan_id)
    left join lateral (
      select subject, text, created_at from messages
      where case_id = c.id and direction = 'in' order by created_at, id limit 1
    ) m on true
    order by c.created_at desc`.execute(db);
}

/** The incidents the cases were tagged with, read once for all of them. */
async function readTaggedIncidents(db: Db, rows: Row[], more: readonly string[] = []) {
  const incidentIds = [
    ...new Set([
      ...rows.flatMap((r) => r.tags.filter((t) => t.startsWith('incident:')).map((t) => t.slice(9))),
      ...more,
    ]),
  ];
  const incidents = new Map<string, ActiveIncident>();
  if (!incidentIds.length) return incidents;
  const found = await db.selectFrom('incidents').selectAll().where('id', 'in', incidentIds).execute();
  for (const i of found) {
    incidents.set(i.id, {
      id: i.id,
      serviceId: i.service_id,
      service: i.service,
      title: i.title,
      status: i.status,
      updatedAt: new Date(i.updated_at),
      link: i.link,
    });
  }
  return incidents;
}

/** The case as classify saw it: its first inbound message, its customer, its incidents. */
function contactOf(r: Row, incidents: Map<string, ActiveIncident>): PlainContact {
  const caseIncidents = r.tags
    .filter((t) => t.startsWith('incident:'))
    .map((t) => incidents.get(t.slice(9)))
    .filter((i): i is ActiveIncident => i !== undefined);
  return {
    subject: r.msg_subject ?? r.subject,
    body: r.msg_text ?? '',
    channel: r.channel,
    locale: r.locale === 'en' ? ('en' as const) : ('ja' as const),
    customer: r.customer_id
      ? { id: r.customer_id, relationship: r.relationship ?? ('direct' as const), planId: r.plan_id }
      : null,
    verified: r.verified,
    withinHours: r.hours && r.msg_at ? isOpenAt(r.hours, new Date(r.msg_at)) : true,
    incidents: caseIncidents,
  };
}

/** The change the proposed rules would make to one case, or null when they agree with the current ones. */
function changeOf(r: Row, [before, after]: Verdicts): DryRunChange | null {
  const from = { category: before.category, handling: before.handling, priority: before.priority };
  const to = { category: after.category, handling: after.handling, priority: after.priority };
  if (to.category === from.category && to.handling === from.handling && to.priority === from.priority)
    return null;
  return {
    number: Number(r.number),
    subject: r.subject,
    current: { category: r.category, handling: r.handling, priority: r.priority },
    from,
    to,
    rules: after.rules,
  };
}

/**
 * The dry run itself. `judges` does the classifying: on dry-run threads in the server, on the calling thread
 * when absent.
 */
export async function dryRun(
  db: Db,
  currentRules: readonly Rule[],
  rules: readonly Rule[],
  scope: DryRunScope,
  reading: Partial<Reading> = {},
  judges: Judges = judgesOnThisThread,
): Promise<DryRunResult> {
  const started = performance.now();
  const [{ rows }, corrections] = await Promise.all([
    readRecentCases(db, scope),
    loadCorrections(db, MAX_CORRECTIONS),
  ]);
  const incidents = await readTaggedIncidents(
    db,
    rows,
    corrections.flatMap((c) => c.incident_ids),
  );
  const contacts = [
    ...rows.map((r) => contactOf(r, incidents)),
    ...corrections.map((c) => correctedContact(c, incidents)),
  ];
  const verdicts = await judges.judgeAll(contacts, currentRules, rules, reading);
  const changes = rows.flatMap((r, i) => changeOf(r, verdicts[i]!) ?? []);
  return {
    evaluated: rows.length,
    changed: changes.length,
    durationMs: Math.round(performance.now() - started),
    changes,
    corrections: tallyCorrections(corrections, verdicts.slice(rows.length)),
  };
}
