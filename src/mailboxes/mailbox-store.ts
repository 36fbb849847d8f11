import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import {
  type GraphMailboxSettings,
  type ImapSettings,
  parseImap,
  parseSmtp,
  type SmtpSettings,
} from '../config.js';
import type { Db } from '../db/database.js';
import type { MailboxesTable } from '../db/schema.js';
import { type MailboxSecrets, openSecrets, sealSecrets } from './mailbox-secrets.js';

// Mailboxes admins add: stored with their URLs stripped of passwords (sealed apart), and turned into the
// settings an intake and a sender run with. Every key (checkpoint, lock, dedupe, the outbox's route) is
// `mailbox:<id>`, so renaming a mailbox or changing its server keeps its place.

export type MailboxRow = Selectable<MailboxesTable>;

export const mailboxKeyOf = (id: string) => `mailbox:${id}`;
const idOfKey = (key: string) => (key.startsWith('mailbox:') ? key.slice('mailbox:'.length) : null);

export interface MailboxInput {
  name: string;
  address: string;
  kind: 'imap' | 'graph';
  imapUrl?: string | null;
  smtpUrl?: string | null;
  locale?: 'ja' | 'en' | null;
  enabled?: boolean;
}

/** A URL without its password, and the password. */
export function withoutPassword(raw: string): { url: string; password?: string } {
  const u = new URL(raw);
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.password = '';
  return { url: u.toString(), password };
}

/** Whether two URLs name the same login (user, host and port), so a stored password still belongs to it. */
function sameLogin(a: string | null, b: string): boolean {
  if (!a) return false;
  const x = new URL(a);
  const y = new URL(b);
  return x.protocol === y.protocol && x.username === y.username && x.host === y.host;
}

/** What the sealed passwords are bound to: the row and the URLs they log in to. */
const bindingOf = (id: string, imapUrl: string | null, smtpUrl: string | null) =>
  JSON.stringify([id, imapUrl, smtpUrl]);

/**
 * The URLs and sealed passwords of a new or changed mailbox. A URL given without password keeps the stored
 * one for the same login; URLs not given keep everything as it is (the sealed passwords are not even opened,
 * so a mailbox whose secrets no longer open can still be disabled or given new passwords).
 */
function urlsAndSecrets(
  id: string,
  input: Pick<MailboxInput, 'imapUrl' | 'smtpUrl'>,
  was: MailboxRow | null,
  sealKeys: readonly string[],
): Pick<MailboxRow, 'imap_url' | 'smtp_url' | 'sealed_secrets'> {
  if (was && input.imapUrl === undefined && input.smtpUrl === undefined)
    return { imap_url: was.imap_url, smtp_url: was.smtp_url, sealed_secrets: was.sealed_secrets };
  let old: MailboxSecrets | null = null;
  const stored = () => {
    old ??= was?.sealed_secrets
      ? openSecrets(was.sealed_secrets, sealKeys, bindingOf(was.id, was.imap_url, was.smtp_url))
      : {};
    return old;
  };
  const one = (raw: string | null | undefined, before: string | null, which: keyof MailboxSecrets) => {
    if (raw === undefined) return { url: before, password: before ? stored()[which] : undefined };
    if (raw === null) return { url: null, password: undefined };
    const { url, password } = withoutPassword(raw);
    return { url, password: password ?? (sameLogin(before, url) ? stored()[which] : undefined) };
  };
  const imap = one(input.imapUrl, was?.imap_url ?? null, 'imapPassword');
  const smtp = one(input.smtpUrl, was?.smtp_url ?? null, 'smtpPassword');
  const secrets: MailboxSecrets = {};
  if (imap.password) secrets.imapPassword = imap.password;
  if (smtp.password) secrets.smtpPassword = smtp.password;
  const sealed = Object.keys(secrets).length
    ? sealSecrets(secrets, sealKeys[0]!, bindingOf(id, imap.url, smtp.url))
    : null;
  return { imap_url: imap.url, smtp_url: smtp.url, sealed_secrets: sealed };
}

/** Where a mailbox is read from: a change means its stored reading position belongs to another mailbox. */
export function loginOf(row: Pick<MailboxRow, 'kind' | 'address' | 'imap_url'>): string {
  if (row.kind === 'graph') return `graph:${row.address.toLowerCase()}`;
  if (!row.imap_url) return 'imap:';
  const u = new URL(row.imap_url);
  const folder = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'INBOX';
  const port = u.port || (u.protocol === 'imaps:' ? '993' : '143');
  return `imap:${decodeURIComponent(u.username).toLowerCase()}@${u.hostname.toLowerCase()}:${port}/${folder}`;
}

export async function listMailboxes(db: Db): Promise<MailboxRow[]> {
  return db.selectFrom('mailboxes').selectAll().orderBy('name').execute();
}

export async function getMailbox(db: Db, id: string): Promise<MailboxRow | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  return (await db.selectFrom('mailboxes').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function createMailbox(db: Db, input: MailboxInput, sealKeys: readonly string[]) {
  // The id is chosen here: the sealed passwords are bound to it.
  const id = randomUUID();
  return db
    .insertInto('mailboxes')
    .values({
      id,
      name: input.name,
      address: input.address,
      kind: input.kind,
      locale: input.locale ?? null,
      enabled: input.enabled ?? true,
      ...urlsAndSecrets(id, input, null, sealKeys),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateMailbox(
  db: Db,
  was: MailboxRow,
  patch: Partial<MailboxInput>,
  sealKeys: readonly string[],
): Promise<MailboxRow> {
  const row = await db
    .updateTable('mailboxes')
    .set({
      name: patch.name ?? was.name,
      address: patch.address ?? was.address,
      kind: patch.kind ?? was.kind,
      locale: patch.locale === undefined ? was.locale : patch.locale,
      enabled: patch.enabled ?? was.enabled,
      ...urlsAndSecrets(was.id, patch, was, sealKeys),
      updated_at: sql`now()`,
    })
    .where('id', '=', was.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  // Another server, folder, user or Graph mailbox: its place (UIDs, delta link) is not the old one's.
  if (loginOf(row) !== loginOf(was)) await forgetPosition(db, mailboxKeyOf(row.id));
  return row;
}

/** Drops where the intake of a mailbox stood: it reads the mailbox anew, old mail as backlog. */
async function forgetPosition(db: Db, key: string): Promise<void> {
  await db.deleteFrom('mailbox_state').where('mailbox_key', '=', key).execute();
  await db.deleteFrom('graph_sync_state').where('mailbox_key', '=', key).execute();
}

export async function deleteMailbox(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('mailboxes').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** What an intake and a sender of a mailbox depend on: a change of anything else (its locale) restarts nothing. */
export function connectionVersion(row: MailboxRow): string {
  return JSON.stringify([row.name, row.kind, row.address, row.imap_url, row.smtp_url, row.sealed_secrets]);
}

/** What an intake and a sender of one mailbox run with. */
export interface RunnableMailbox {
  id: string;
  key: string;
  name: string;
  address: string;
  kind: 'imap' | 'graph';
  /** What it connects with: a change restarts the mailbox's intake and sender. */
  version: string;
  imap?: ImapSettings;
  smtp?: SmtpSettings;
  graph?: GraphMailboxSettings;
}

/** The settings of a stored mailbox, its passwords opened. Throws when SECRET_KEY no longer opens them. */
export function runnableMailbox(
  row: MailboxRow,
  sealKeys: readonly string[],
  graphPollSeconds: number,
): RunnableMailbox {
  const binding = bindingOf(row.id, row.imap_url, row.smtp_url);
  const secrets = row.sealed_secrets ? openSecrets(row.sealed_secrets, sealKeys, binding) : {};
  const key = mailboxKeyOf(row.id);
  const withPassword = (url: string, password?: string) => {
    const u = new URL(url);
    if (password) u.password = encodeURIComponent(password);
    return u.toString();
  };
  const base = {
    id: row.id,
    key,
    name: row.name,
    address: row.address,
    kind: row.kind,
    version: connectionVersion(row),
  };
  if (row.kind === 'graph')
    return { ...base, graph: { address: row.address, key, pollSeconds: graphPollSeconds } };
  return {
    ...base,
    imap: row.imap_url ? { ...parseImap(withPassword(row.imap_url, secrets.imapPassword)), key } : undefined,
    smtp: row.smtp_url ? parseSmtp(withPassword(row.smtp_url, secrets.smtpPassword)) : undefined,
  };
}

/** The mailbox a stored key names (`mailbox:<id>`), for the address replies go out from; null: the default. */
export async function mailboxOfKey(
  db: Db,
  key: string | null,
): Promise<{ key: string; address: string } | null> {
  const id = key ? idOfKey(key) : null;
  if (!id) return null;
  const row = await db
    .selectFrom('mailboxes')
    .select('address')
    .where('id', '=', id)
    .where('enabled', '=', true)
    .executeTakeFirst();
  return row ? { key: key!, address: row.address } : null;
}
