import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Category, Handling } from '../vocabulary.js';
import {
  type ActiveIncident,
  type ContactInput,
  classifyRead,
  type ReadContact,
  readContact,
} from './classify.js';
import type { Rule } from './rule-schema.js';
import type { ServiceCatalogue } from './services.js';

// When an agent or admin moves a case to another category or handling (`#category`, `#handover`, the API or
// the case view), the change is kept as a correction with the case's text and what triage said: a labelled
// contact the rules got wrong. A rule change can be replayed against all of them, and the rules that needed
// correcting most are listed for the admin.

const BODY_CHARS = 8000;

export interface Triaged {
  category: Category;
  handling: Handling;
}

/** Records the change from `before` to `after` on a case (inside the transaction that makes it); none if equal. */
export async function recordCorrection(
  tx: Db,
  c: { caseId: string; actor: string; via: 'mail' | 'api'; before: Triaged; after: Triaged },
): Promise<void> {
  const categoryCorrected = c.before.category !== c.after.category;
  const handlingCorrected = c.before.handling !== c.after.handling;
  if (!categoryCorrected && !handlingCorrected) return;
  await sql`insert into triage_corrections (case_id, case_number, actor, via, from_category, to_category,
      from_handling, to_handling, category_corrected, handling_corrected, rule_id, subject, body, channel,
      locale, relationship, verified, incident_ids)
    select c.id, c.number, ${c.actor}, ${c.via}, ${c.before.category}, ${c.after.category},
      ${c.before.handling}, ${c.after.handling}, ${categoryCorrected}, ${handlingCorrected},
      (select substring(t.reason from '^set by rule ([a-z0-9][a-z0-9_.-]*)') from triage_records t
        where t.case_id = c.id and t.step = 'category' order by t.created_at desc, t.id desc limit 1),
      coalesce(m.subject, c.subject), left(coalesce(m.text, ''), ${BODY_CHARS}), c.channel, c.locale,
      cu.relationship, c.verified,
      array(select substring(tag from 10) from unnest(c.tags) tag where tag like 'incident:%')
    from cases c
    left join customers cu on cu.id = c.customer_id
    left join lateral (select subject, text from messages where case_id = c.id and direction = 'in'
      order by created_at, id limit 1) m on true
    where c.id = ${c.caseId}`.execute(tx);
}

export interface CorrectionRow {
  id: string;
  case_number: string;
  actor: string;
  via: string;
  from_category: string;
  to_category: string;
  from_handling: string;
  to_handling: string;
  category_corrected: boolean;
  handling_corrected: boolean;
  rule_id: string | null;
  subject: string;
  body: string;
  channel: 'email' | 'chat';
  locale: 'ja' | 'en';
  relationship: 'direct' | 'indirect' | null;
  verified: boolean;
  incident_ids: string[];
  created_at: Date;
}

/** The newest corrections, one per case (the last word on a case is the label). */
export async function loadCorrections(db: Db, limit: number): Promise<CorrectionRow[]> {
  const r = await sql<CorrectionRow>`select * from (
      select distinct on (case_id) * from triage_corrections order by case_id, id desc) last
    order by id desc limit ${limit}`.execute(db);
  return r.rows;
}

export interface Replay {
  total: number;
  /** Wrong with the current rules, right with the proposed ones. */
  fixed: number;
  /** Right with the current rules, wrong with the proposed ones. */
  broken: number;
  stillWrong: number;
  right: number;
  fixedCases: number[];
  brokenCases: number[];
}

function contactOf(row: CorrectionRow, incidents: Map<string, ActiveIncident>, catalogue?: ServiceCatalogue) {
  return {
    subject: row.subject,
    body: row.body,
    channel: row.channel,
    locale: row.locale,
    customer: row.relationship ? { id: 'customer', relationship: row.relationship, planId: null } : null,
    verified: row.verified,
    withinHours: true,
    incidents: row.incident_ids.flatMap((id) => incidents.get(id) ?? []),
    catalogue,
  };
}

/** Whether the rules put a corrected case where the person put it (on the fields the person changed). */
function agrees(row: CorrectionRow, contact: ContactInput, read: ReadContact, rules: readonly Rule[]) {
  const got = classifyRead({ ...contact, rules }, read);
  return (
    (!row.category_corrected || got.category === row.to_category) &&
    (!row.handling_corrected || got.handling === row.to_handling)
  );
}

/** Replays the corrections as a labelled set against the current and the proposed rules. */
export function replayCorrections(
  rows: readonly CorrectionRow[],
  current: readonly Rule[],
  proposed: readonly Rule[],
  incidents: Map<string, ActiveIncident>,
  catalogue?: ServiceCatalogue,
): Replay {
  const out: Replay = {
    total: rows.length,
    fixed: 0,
    broken: 0,
    stillWrong: 0,
    right: 0,
    fixedCases: [],
    brokenCases: [],
  };
  for (const row of rows) {
    const contact = contactOf(row, incidents, catalogue);
    const read = readContact(contact);
    const before = agrees(row, contact, read, current);
    const after = current === proposed ? before : agrees(row, contact, read, proposed);
    if (after && !before) {
      out.fixed++;
      if (out.fixedCases.length < 200) out.fixedCases.push(Number(row.case_number));
    } else if (before && !after) {
      out.broken++;
      if (out.brokenCases.length < 200) out.brokenCases.push(Number(row.case_number));
    } else if (after) out.right++;
    else out.stillWrong++;
  }
  return out;
}

/** The rules whose category people corrected most, with where they moved the cases. */
export async function mostCorrectedRules(db: Db, limit = 20) {
  const r = await sql<{ rule_id: string | null; from_category: string; to_category: string; n: string }>`
    select rule_id, from_category, to_category, count(*)::text as n from triage_corrections
    where category_corrected or handling_corrected
    group by rule_id, from_category, to_category`.execute(db);
  const byRule = new Map<
    string,
    { ruleId: string | null; corrections: number; moves: { from: string; to: string; count: number }[] }
  >();
  for (const row of r.rows) {
    const key = row.rule_id ?? '';
    const entry = byRule.get(key) ?? { ruleId: row.rule_id, corrections: 0, moves: [] };
    entry.corrections += Number(row.n);
    entry.moves.push({ from: row.from_category, to: row.to_category, count: Number(row.n) });
    byRule.set(key, entry);
  }
  return [...byRule.values()]
    .map((e) => ({ ...e, moves: e.moves.sort((a, b) => b.count - a.count) }))
    .sort((a, b) => b.corrections - a.corrections)
    .slice(0, limit);
}
