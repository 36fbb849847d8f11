import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { TriageCorrectionsTable } from '../db/schema.js';
import type { Category, Handling } from '../vocabulary.js';
import type { ActiveIncident } from './classify.js';
import type { PlainContact, Verdict, Verdicts } from './judge.js';

// When an agent or admin moves a case to another category or handling (`#category`, `#handover`, the API or
// the case view), the change is kept as a correction with the case's text and what triage said: a labelled
// contact the rules got wrong. A rule change can be replayed against all of them, and the rules that needed
// correcting most are listed for the admin.

const BODY_CHARS = 8000;

export interface Triaged {
  category: Category;
  handling: Handling;
}

/** The case before an agent's commands: what triage said, and whether a hand-over is still triage's call. */
export interface CaseBefore extends Triaged {
  /** False for a sender not proven or not known: triage could not hand over, so a hand-over is no correction. */
  verified: boolean;
  /**
   * Already handed over by a person (a Microsoft request, an agent's escalation): a later hand-over (back to
   * the partner, say) is the work, not a correction. Triage's own hand-over does not count: undoing it is.
   */
  handedOver: boolean;
}

/**
 * Records the change from `before` to `after` on a case, inside the transaction that makes it; nothing when
 * triage was not contradicted. A savepoint keeps a failure here from undoing the agent's answer.
 */
export async function recordCorrection(
  tx: Db,
  c: { caseId: string; actor: string; via: 'mail' | 'api'; before: CaseBefore; after: Triaged },
): Promise<boolean> {
  const categoryCorrected = c.before.category !== c.after.category;
  const handlingCorrected =
    c.before.handling !== c.after.handling && c.before.verified && !c.before.handedOver;
  if (!categoryCorrected && !handlingCorrected) return false;
  await sql`savepoint triage_correction`.execute(tx);
  try {
    await insertCorrection(tx, c, categoryCorrected, handlingCorrected);
    await sql`release savepoint triage_correction`.execute(tx);
    return true;
  } catch {
    await sql`rollback to savepoint triage_correction`.execute(tx);
    return false;
  }
}

/**
 * The rule is the one whose decision put the case in the category corrected (a follow-up that kept the
 * category does not count); the incidents are those service health found for the services the first message
 * named, whatever triage made of them.
 */
function insertCorrection(
  tx: Db,
  c: { caseId: string; actor: string; via: 'mail' | 'api'; before: Triaged; after: Triaged },
  categoryCorrected: boolean,
  handlingCorrected: boolean,
) {
  return sql`insert into triage_corrections (case_id, case_number, actor, via, from_category, to_category,
      from_handling, to_handling, category_corrected, handling_corrected, rule_id, subject, body, channel,
      locale, relationship, verified, incident_ids)
    select c.id, c.number, ${c.actor}, ${c.via}, ${c.before.category}, ${c.after.category},
      ${c.before.handling}, ${c.after.handling}, ${categoryCorrected}, ${handlingCorrected},
      (select substring(t.reason from '^set by rule ([a-z0-9][a-z0-9_.-]*)') from triage_records t
        where t.case_id = c.id and t.step = 'category' and t.result = ${c.before.category}
          and t.reason like 'set by rule %'
        order by t.created_at desc, t.id desc limit 1),
      coalesce(m.subject, c.subject), left(coalesce(m.text, ''), ${BODY_CHARS}), c.channel, c.locale,
      cu.relationship, c.verified,
      array(select distinct x from unnest(
        array(select substring(tag from 10) from unnest(c.tags) tag where tag like 'incident:%')
        || coalesce((select string_to_array(t.result, ',') from triage_records t
             where t.case_id = c.id and t.message_id = m.id and t.step = 'health' and t.result <> 'none'
             order by t.created_at, t.id limit 1), '{}')) x)
    from cases c
    left join customers cu on cu.id = c.customer_id
    left join lateral (select id, subject, text from messages where case_id = c.id and direction = 'in'
      order by created_at, id limit 1) m on true
    where c.id = ${c.caseId}`.execute(tx);
}

/** A stored correction, as the replay reads it. */
export type CorrectionRow = Selectable<TriageCorrectionsTable>;

/**
 * The newest corrections, one per case: from what triage said first to where people left the case last, so a
 * category change followed by a hand-over keeps both.
 */
export async function loadCorrections(db: Db, limit: number): Promise<CorrectionRow[]> {
  const r = await sql<CorrectionRow>`select * from (
      select distinct on (last.case_id) last.id, last.case_number, last.actor, last.via,
        first.from_category, last.to_category, first.from_handling, last.to_handling,
        first.from_category <> last.to_category as category_corrected,
        bool_or(all_rows.handling_corrected) over (partition by last.case_id)
          and first.from_handling <> last.to_handling as handling_corrected,
        first.rule_id, last.subject, last.body, last.channel, last.locale, last.relationship, last.verified,
        last.incident_ids, last.created_at
      from triage_corrections last
      join lateral (select * from triage_corrections f where f.case_id = last.case_id order by f.id limit 1)
        first on true
      join triage_corrections all_rows on all_rows.case_id = last.case_id
      order by last.case_id, last.id desc) folded
    where category_corrected or handling_corrected
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

/** A corrected case's first message, as triage read it. */
export function correctedContact(row: CorrectionRow, incidents: Map<string, ActiveIncident>): PlainContact {
  return {
    subject: row.subject,
    body: row.body,
    channel: row.channel,
    locale: row.locale,
    customer: row.relationship ? { id: 'customer', relationship: row.relationship, planId: null } : null,
    verified: row.verified,
    withinHours: true,
    incidents: row.incident_ids.flatMap((id) => incidents.get(id) ?? []),
  };
}

/** Whether a verdict puts a corrected case where the person put it (on the fields the person changed). */
function agrees(row: CorrectionRow, got: Verdict) {
  return (
    (!row.category_corrected || got.category === row.to_category) &&
    (!row.handling_corrected || got.handling === row.to_handling)
  );
}

/** The corrections replayed as a labelled set: the verdicts of the current and the proposed rules on each. */
export function tallyCorrections(rows: readonly CorrectionRow[], verdicts: readonly Verdicts[]): Replay {
  const out: Replay = {
    total: rows.length,
    fixed: 0,
    broken: 0,
    stillWrong: 0,
    right: 0,
    fixedCases: [],
    brokenCases: [],
  };
  rows.forEach((row, i) => {
    const [current, proposed] = verdicts[i]!;
    const before = agrees(row, current);
    const after = agrees(row, proposed);
    if (after && !before) {
      out.fixed++;
      if (out.fixedCases.length < 200) out.fixedCases.push(Number(row.case_number));
    } else if (before && !after) {
      out.broken++;
      if (out.brokenCases.length < 200) out.brokenCases.push(Number(row.case_number));
    } else if (after) out.right++;
    else out.stillWrong++;
  });
  return out;
}

/** The rules whose results people corrected most (each case once), with where they moved the cases. */
export async function mostCorrectedRules(db: Db, limit = 20) {
  const rows = await loadCorrections(db, 100_000);
  const byRule = new Map<
    string,
    {
      ruleId: string | null;
      corrections: number;
      moves: Map<string, { from: string; to: string; count: number }>;
    }
  >();
  for (const row of rows) {
    const key = row.rule_id ?? '';
    const entry = byRule.get(key) ?? { ruleId: row.rule_id, corrections: 0, moves: new Map() };
    entry.corrections++;
    const move = `${row.from_category}>${row.to_category}`;
    const m = entry.moves.get(move) ?? { from: row.from_category, to: row.to_category, count: 0 };
    m.count++;
    entry.moves.set(move, m);
    byRule.set(key, entry);
  }
  return [...byRule.values()]
    .map((e) => ({ ...e, moves: [...e.moves.values()].sort((a, b) => b.count - a.count) }))
    .sort((a, b) => b.corrections - a.corrections)
    .slice(0, limit);
}
