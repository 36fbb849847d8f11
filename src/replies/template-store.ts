import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Db } from '../db/database.js';
import type { Channel, Locale, TemplateKey } from '../vocabulary.js';

export interface TemplateSource {
  key: TemplateKey;
  locale: Locale;
  version: number;
  subject: string;
  body: string;
}

export class TemplateMissingError extends Error {
  readonly code = 'template_missing';
}

const defaultsDir = fileURLToPath(new URL('../../templates/', import.meta.url));

/** Splits a template file: a `subject:` line between `---` fences, then the body. */
export function parseTemplateFile(text: string): { subject: string; body: string } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!m) return { subject: '', body: text };
  const subject = /^subject:\s*(.*)$/m.exec(m[1] ?? '')?.[1]?.trim() ?? '';
  return { subject, body: m[2] ?? '' };
}

/** Defaults live as files; admins' edits are numbered versions in Postgres, the newest one wins. */
export class TemplateStore {
  private readonly fileCache = new Map<string, { subject: string; body: string }>();
  private readonly versionCache = new Map<string, { at: number; value: TemplateSource }>();

  /** `ttlMs`: how long a looked-up version is reused; an admin's save shows in other processes after that. */
  constructor(
    private readonly db: Db,
    private readonly ttlMs = 2000,
  ) {}

  invalidate(): void {
    this.versionCache.clear();
  }

  /**
   * The template for a reply on a channel. Chat has short plain-text variants (stored as `chat/<key>`, files
   * under templates/<locale>/chat/); a key without a chat variant uses the mail one.
   */
  async get(key: TemplateKey, locale: Locale, channel: Channel = 'email'): Promise<TemplateSource> {
    const cacheKey = `${locale}/${channel}/${key}`;
    const cached = this.versionCache.get(cacheKey);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.value;
    const value =
      channel === 'chat'
        ? ((await this.load(`chat/${key}`, key, locale)) ?? (await this.load(key, key, locale)))
        : await this.load(key, key, locale);
    if (!value) throw new TemplateMissingError(`no template ${key} for locale ${locale}`);
    this.versionCache.set(cacheKey, { at: Date.now(), value });
    return value;
  }

  private async load(storageKey: string, key: TemplateKey, locale: Locale): Promise<TemplateSource | null> {
    const row = await this.db
      .selectFrom('templates')
      .select(['version', 'subject', 'body'])
      .where('key', '=', storageKey)
      .where('locale', '=', locale)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row) return { key, locale, version: row.version, subject: row.subject, body: row.body };
    const file = await this.defaultFor(storageKey, locale).catch((err) => {
      if (err instanceof TemplateMissingError) return null;
      throw err;
    });
    return file ? { key, locale, version: 0, ...file } : null;
  }

  /**
   * The versions before `below`, newest first, down to the shipped default: what a reply falls back to when
   * the live version will not render.
   */
  async earlier(
    key: TemplateKey,
    locale: Locale,
    channel: Channel,
    below: number,
  ): Promise<TemplateSource[]> {
    const storageKey = channel === 'chat' ? `chat/${key}` : key;
    const rows = await this.db
      .selectFrom('templates')
      .select(['version', 'subject', 'body'])
      .where('key', '=', storageKey)
      .where('locale', '=', locale)
      .where('version', '<', below)
      .orderBy('version', 'desc')
      .limit(20)
      .execute();
    const file = await this.defaultFor(storageKey, locale).catch(() => this.defaultFor(key, locale));
    return [...rows.map((r) => ({ key, locale, ...r })), { key, locale, version: 0, ...file }];
  }

  /** Notes that a version failed to render when a reply was due: the alert on the template's page. */
  async recordFailure(key: TemplateKey, locale: Locale, channel: Channel, version: number, error: string) {
    await this.db
      .insertInto('template_failures')
      .values({ key: channel === 'chat' ? `chat/${key}` : key, locale, version, error: error.slice(0, 1000) })
      .onConflict((oc) =>
        oc.columns(['key', 'locale', 'version']).doUpdateSet((eb) => ({
          count: eb('template_failures.count', '+', 1),
          last_at: new Date(),
          error: eb.ref('excluded.error'),
        })),
      )
      .execute();
  }

  /** The shipped default of a template (`ack`, or `chat/ack` for the chat variant). */
  async defaultFor(key: string, locale: Locale): Promise<{ subject: string; body: string }> {
    const cacheKey = `${locale}/${key}`;
    const cached = this.fileCache.get(cacheKey);
    if (cached) return cached;
    let text: string;
    try {
      text = await readFile(`${defaultsDir}${locale}/${key}.liquid`, 'utf8');
    } catch {
      throw new TemplateMissingError(`no template ${key} for locale ${locale}`);
    }
    const parsed = parseTemplateFile(text);
    this.fileCache.set(cacheKey, parsed);
    return parsed;
  }
}
