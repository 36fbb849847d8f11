import type { Db } from '../db/database.js';
import { microsoftServices } from './microsoft-services.js';
import { aliasKey, builtInCatalogue, ServiceCatalogue } from './services.js';

// The catalogue as triage uses it: the services shipped, the services Microsoft 365 service health listed or
// an active incident named that the catalogue did not know (by their own names), and the aliases admins added.

let last: { key: string; catalogue: ServiceCatalogue } | null = null;

export async function loadCatalogue(db: Db): Promise<ServiceCatalogue> {
  const [aliases, overviews, incidents] = await Promise.all([
    db.selectFrom('service_aliases').select(['service_id', 'alias']).orderBy('created_at').execute(),
    db.selectFrom('service_overviews').select(['id', 'service']).execute(),
    db.selectFrom('incidents').select('service').distinct().where('active', '=', true).execute(),
  ]);
  const shipped = builtInCatalogue;
  const discovered = [
    ...overviews.filter((o) => !shipped.forName(o.id)).map((o) => o.service),
    ...incidents.map((i) => i.service),
  ].filter((name) => !shipped.forName(name));
  const custom = aliases.map((a) => ({ serviceId: a.service_id, alias: a.alias }));
  // Read every few seconds on the triage path: the same contents give the same catalogue, built once.
  const key = JSON.stringify([custom, discovered]);
  if (last?.key !== key) {
    const catalogue =
      custom.length || discovered.length
        ? new ServiceCatalogue(microsoftServices, custom, discovered)
        : shipped;
    last = { key, catalogue };
  }
  return last.catalogue;
}

export type AddAliasResult =
  | { ok: true; aliasKey: string }
  | { ok: false; reason: 'unknown_service' | 'alias_taken' | 'alias_weak'; owner?: string; why?: string };

// Words that would make every message name the service.
const tooCommon = new Set([
  'the',
  'and',
  'for',
  'our',
  'you',
  'all',
  'not',
  'mail',
  'email',
  'app',
  'apps',
  'microsoft',
  'ms',
  'office',
  'cloud',
  'service',
  'services',
  'online',
  'portal',
  'admin',
  'user',
  'users',
  'team',
  'site',
  'web',
  'pc',
  'メール',
  'アプリ',
  'サービス',
  'ユーザー',
  'パソコン',
  'サイト',
]);

/** Why an alias would match too much or never, or null when it is fit to match customers' words. */
export function weakAlias(alias: string): string | null {
  const key = aliasKey(alias);
  if (!key) return 'has no letters or digits to match';
  if (tooCommon.has(key)) return 'is too common a word: every message would name the service';
  if (/[\u3040-\u30ff\u3400-\u9fff]/.test(key))
    return key.length < 2 ? 'needs at least 2 Japanese characters' : null;
  if (key.split(' ').length > 6) return 'has more than 6 words';
  return key.replace(/ /g, '').length < 3 ? 'needs at least 3 letters or digits' : null;
}

/** Adds an alias to a service of the catalogue (shipped or discovered); refused if another service has it. */
export async function addAlias(
  db: Db,
  catalogue: ServiceCatalogue,
  serviceId: string,
  alias: string,
  actor: string,
): Promise<AddAliasResult> {
  if (!catalogue.byServiceId(serviceId)) return { ok: false, reason: 'unknown_service' };
  const why = weakAlias(alias);
  if (why) return { ok: false, reason: 'alias_weak', why };
  const key = aliasKey(alias);
  const owner = catalogue.aliasOwner(alias);
  if (owner) return { ok: false, reason: 'alias_taken', owner };
  const inserted = await db
    .insertInto('service_aliases')
    .values({ alias_key: key, alias: alias.trim(), service_id: serviceId, actor })
    .onConflict((oc) => oc.column('alias_key').doNothing())
    .returning('alias_key')
    .executeTakeFirst();
  if (!inserted) {
    const row = await db
      .selectFrom('service_aliases')
      .select('service_id')
      .where('alias_key', '=', key)
      .executeTakeFirst();
    if (row && row.service_id !== serviceId)
      return { ok: false, reason: 'alias_taken', owner: row.service_id };
  }
  return { ok: true, aliasKey: key };
}

export async function removeAlias(db: Db, serviceId: string, alias: string): Promise<boolean> {
  const r = await db
    .deleteFrom('service_aliases')
    .where('alias_key', '=', aliasKey(alias))
    .where('service_id', '=', serviceId)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
