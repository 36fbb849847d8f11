import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { ActiveIncident } from './classify.js';
import { loadActiveIncidents } from './incidents.js';
import type { LearnedOpinion } from './learned-opinion.js';
import { loadOpinion } from './learned-opinion-store.js';
import { type Rule, ruleSetSchema } from './rule-schema.js';
import { loadCatalogue } from './service-catalogue-store.js';
import type { ServiceCatalogue } from './services.js';

// What triage reads on every message (the current rule set, the active incidents), cached for a moment so a
// burst of mail does not re-read them each time. Saves through this object take effect at once in this
// process and within `ttlMs` in the others.

const defaultRulesFile = new URL('./default-rules.json', import.meta.url);

/** The default rule set shipped with the product, validated like an admin's. */
export function defaultRules(): Rule[] {
  return ruleSetSchema.parse(JSON.parse(readFileSync(defaultRulesFile, 'utf8')));
}

/** How triage reads a contact, besides the rules. */
export interface Reading {
  catalogue: ServiceCatalogue;
  opinion: LearnedOpinion | null;
}

export interface CurrentRules {
  version: string;
  rules: Rule[];
}

export class TriageConfig {
  private rulesCache: { at: number; value: CurrentRules } | null = null;
  private incidentsCache: { at: number; value: ActiveIncident[] } | null = null;
  private catalogueCache: { at: number; value: ServiceCatalogue } | null = null;

  private readonly ttlMs: number;
  private readonly learnedOpinion: boolean;

  constructor(
    private readonly db: Db,
    options: { ttlMs?: number; learnedOpinion?: boolean } = {},
  ) {
    this.ttlMs = options.ttlMs ?? 2000;
    this.learnedOpinion = options.learnedOpinion ?? true;
  }

  /** Loads the default rules into an empty database (first start); later starts leave the admin's rules alone. */
  async seed(): Promise<void> {
    const rules = defaultRules();
    await this.db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(hashtextextended('rule_sets seed', 0))`.execute(tx);
      const any = await tx.selectFrom('rule_sets').select('version').limit(1).executeTakeFirst();
      if (any) return;
      await tx
        .insertInto('rule_sets')
        .values({ rules: JSON.stringify(rules), note: 'default rules', actor: 'system' })
        .execute();
    });
  }

  async rules(): Promise<CurrentRules> {
    if (this.rulesCache && Date.now() - this.rulesCache.at < this.ttlMs) return this.rulesCache.value;
    const row = await this.db
      .selectFrom('rule_sets')
      .select(['version', 'rules'])
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    // Stored sets were validated on save; parse again so a hand-edited row cannot crash triage.
    const parsed = row ? ruleSetSchema.safeParse(row.rules) : null;
    const value: CurrentRules = parsed?.success
      ? { version: String(row!.version), rules: parsed.data }
      : { version: '0', rules: defaultRules() };
    this.rulesCache = { at: Date.now(), value };
    return value;
  }

  /** The service catalogue with the admins' aliases and the services service health named. */
  async catalogue(): Promise<ServiceCatalogue> {
    if (this.catalogueCache && Date.now() - this.catalogueCache.at < this.ttlMs)
      return this.catalogueCache.value;
    const value = await loadCatalogue(this.db);
    this.catalogueCache = { at: Date.now(), value };
    return value;
  }

  /**
   * The learned second opinion on the category (none when switched off). Not cached for a moment like the
   * rest: each call checks whether corrections changed (one small query), so a correction teaches the next
   * triage in every process.
   */
  async opinion(): Promise<LearnedOpinion | null> {
    return this.learnedOpinion ? loadOpinion(this.db) : null;
  }

  /** What triage reads a contact with besides the rules: the service catalogue and the learned opinion. */
  async reading(): Promise<Reading> {
    const [catalogue, opinion] = await Promise.all([this.catalogue(), this.opinion()]);
    return { catalogue, opinion };
  }

  async activeIncidents(): Promise<ActiveIncident[]> {
    if (this.incidentsCache && Date.now() - this.incidentsCache.at < this.ttlMs)
      return this.incidentsCache.value;
    const value = await loadActiveIncidents(this.db);
    this.incidentsCache = { at: Date.now(), value };
    return value;
  }

  invalidate(): void {
    this.rulesCache = null;
    this.incidentsCache = null;
    this.catalogueCache = null;
  }
}
