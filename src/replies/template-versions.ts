import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import {
  type Channel,
  channels,
  type Locale,
  locales,
  replyTemplates,
  type TemplateKey,
  templateKeys,
} from '../vocabulary.js';
import { TemplateMissingError, type TemplateStore } from './template-store.js';

// The versions of each template: version 0 is the shipped default file, every save a new numbered version in
// Postgres; the newest is live. A rollback saves an old version's text again, as a new version.

/** Chat variants exist for the automatic replies only. */
export function hasVariant(key: TemplateKey, channel: Channel): boolean {
  return channel === 'email' || (replyTemplates as readonly string[]).includes(key);
}

const storageKey = (key: TemplateKey, channel: Channel) => (channel === 'chat' ? `chat/${key}` : key);

export interface TemplateVersion {
  version: number;
  subject: string;
  body: string;
  createdBy: string;
  createdAt: Date | null;
}

/**
 * Every key × locale × channel with its live version number and who saved it, and the alert when that
 * version failed to render for a reply (an earlier one was sent instead).
 */
export async function listTemplates(db: Db) {
  const failures = await db.selectFrom('template_failures').selectAll().execute();
  const failed = new Map(failures.map((f) => [`${f.key}/${f.locale}/${f.version}`, f]));
  const rows = await db
    .selectFrom('templates')
    .select(['key', 'locale', 'version', 'created_by', 'created_at'])
    .distinctOn(['key', 'locale'])
    .orderBy('key')
    .orderBy('locale')
    .orderBy('version', 'desc')
    .execute();
  const live = new Map(rows.map((r) => [`${r.key}/${r.locale}`, r]));
  return templateKeys.flatMap((key) =>
    locales.flatMap((locale) =>
      channels
        .filter((channel) => hasVariant(key, channel))
        .map((channel) => {
          const r = live.get(`${storageKey(key, channel)}/${locale}`);
          const f = failed.get(`${storageKey(key, channel)}/${locale}/${r?.version ?? 0}`);
          return {
            key,
            locale,
            channel,
            version: r?.version ?? 0,
            updatedBy: r?.created_by ?? null,
            updatedAt: r?.created_at ?? null,
            failure: f ? { version: f.version, error: f.error, count: f.count, lastAt: f.last_at } : null,
          };
        }),
    ),
  );
}

/** All versions of one template, newest first, version 0 (the shipped file) last. */
export async function templateHistory(
  db: Db,
  store: Pick<TemplateStore, 'defaultFor'>,
  key: TemplateKey,
  locale: Locale,
  channel: Channel,
): Promise<TemplateVersion[]> {
  const rows = await db
    .selectFrom('templates')
    .select(['version', 'subject', 'body', 'created_by', 'created_at'])
    .where('key', '=', storageKey(key, channel))
    .where('locale', '=', locale)
    .orderBy('version', 'desc')
    .execute();
  const file = await store.defaultFor(storageKey(key, channel), locale).catch((err) => {
    if (err instanceof TemplateMissingError && channel === 'chat') return store.defaultFor(key, locale);
    throw err;
  });
  return [
    ...rows.map((r) => ({
      version: r.version,
      subject: r.subject,
      body: r.body,
      createdBy: r.created_by,
      createdAt: r.created_at,
    })),
    { version: 0, subject: file.subject, body: file.body, createdBy: 'default', createdAt: null },
  ];
}

/** Another save came first: the version the edit started from is no longer the live one. */
export class TemplateVersionConflict extends Error {}

/**
 * Saves a new live version; its number is the next one (a concurrent save gets the one after). With
 * `baseVersion` (the version the edit started from), it saves only if that is still the live version.
 */
export async function saveTemplateVersion(
  db: Db,
  t: { key: TemplateKey; locale: Locale; channel: Channel; subject: string; body: string; actor: string },
  baseVersion?: number,
): Promise<number> {
  const k = storageKey(t.key, t.channel);
  if (baseVersion !== undefined) {
    const row = await sql<{
      version: number;
    }>`insert into templates (key, locale, version, subject, body, created_by)
      select ${k}, ${t.locale}, ${baseVersion + 1}, ${t.subject}, ${t.body}, ${t.actor}
      where coalesce((select max(version) from templates where key = ${k} and locale = ${t.locale}), 0) = ${baseVersion}
      on conflict (key, locale, version) do nothing
      returning version`.execute(db);
    if (!row.rows[0]) throw new TemplateVersionConflict(`version ${baseVersion} is no longer the live one`);
    return row.rows[0].version;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const row = await sql<{
        version: number;
      }>`insert into templates (key, locale, version, subject, body, created_by)
        select ${k}, ${t.locale}, coalesce(max(version), 0) + 1, ${t.subject}, ${t.body}, ${t.actor}
        from templates where key = ${k} and locale = ${t.locale}
        returning version`.execute(db);
      return row.rows[0]!.version;
    } catch (err) {
      if ((err as { code?: string }).code !== '23505' || attempt >= 5) throw err;
    }
  }
}
