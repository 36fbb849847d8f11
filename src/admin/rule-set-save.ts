import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { type Rule, ruleSetSchema } from '../triage/rule-schema.js';
import { defaultRules, type TriageConfig } from '../triage/triage-config.js';
import { audit } from './audit.js';
import { HttpError, parseInput } from './http-error.js';

export interface RuleSetChange {
  /** Returns the new set from the newest stored one; throws an HttpError when the change does not apply. */
  change: (current: Rule[]) => Rule[];
  note: string;
  action: string;
  /** The rule changed, or '*' for the whole set. */
  entityId: string;
  actor: string;
  /** The version the edit started from (GET /api/rules); another save since is a 409, nothing saved. */
  baseVersion?: string;
}

async function newestRuleSet(tx: Db): Promise<Rule[]> {
  const latest = await tx
    .selectFrom('rule_sets')
    .select('rules')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!latest) return defaultRules();
  const parsed = ruleSetSchema.safeParse(latest.rules);
  if (!parsed.success) {
    throw new HttpError(
      409,
      'conflict',
      'the stored rule set is not valid; replace it whole with PUT /api/rules',
    );
  }
  return parsed.data;
}

/**
 * Applies a change to the newest stored set under a lock, so two admins (or two API processes) editing at
 * once both land, in turn, rather than the second silently undoing the first.
 */
export async function saveRuleSet(db: Db, triageConfig: TriageConfig, c: RuleSetChange) {
  const row = await db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended('rule_sets save', 0))`.execute(tx);
    if (c.baseVersion !== undefined) {
      const newest = await sql<{ v: string | null }>`select max(version)::text as v from rule_sets`.execute(
        tx,
      );
      const version = newest.rows[0]?.v ?? '0';
      if (version !== c.baseVersion)
        throw new HttpError(
          409,
          'conflict',
          `the rules changed since version ${c.baseVersion} (now ${version}): reload and edit again`,
        );
    }
    const current = await newestRuleSet(tx);
    const checked = parseInput(ruleSetSchema, c.change(current));
    const saved = await tx
      .insertInto('rule_sets')
      .values({ rules: JSON.stringify(checked), note: c.note, actor: c.actor })
      .returning(['version', 'created_at'])
      .executeTakeFirstOrThrow();
    const whole = c.entityId === '*';
    await audit(tx, {
      actor: c.actor,
      action: c.action,
      entity: 'rule',
      entityId: c.entityId,
      before: whole ? current : current.find((r) => r.id === c.entityId),
      after: whole ? checked : checked.find((r) => r.id === c.entityId),
    });
    return { version: String(saved.version), rules: checked };
  });
  triageConfig.invalidate();
  return row;
}
