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

/** The URLs and sealed passwords of a new or changed mailbox; a URL given without password keeps the old one. */
function urlsAndSecrets(
  input: Pick<MailboxInput, 'imapUrl' | 'smtpUrl'>,
  was: MailboxRow | null,
  secretKeys: readonly string[],
): Pick<MailboxRow, 'imap_url' | 'smtp_url' | 'sealed_secrets'> {
  const old: MailboxSecrets = was?.sealed_secrets ? openSecrets(was.sealed_secrets, secretKeys) : {};
  const secrets: MailboxSecrets = {};
  const one = (raw: string | null | undefined, before: string | null, oldPassword?: string) => {
    if (raw === undefined) return { url: before, password: oldPassword };
    if (raw === null) return { url: null, password: undefined };
    const { url, password } = withoutPassword(raw);
    return { url, password: password ?? (sameLogin(before, url) ? oldPassword : undefined) };
  };
  const imap = one(input.imapUrl, was?.imap_url ?? null, old.imapPassword);
  const smtp = one(input.smtpUrl, was?.smtp_url ?? null, old.smtpPassword);
  if (imap.password) secrets.imapPassword = imap.password;
  if (smtp.password) secrets.smtpPassword = smtp.password;
  const sealed = Object.keys(secrets).length ? sealSecrets(secrets, secretKeys[0]!) : null;
  return { imap_url: imap.url, smtp_url: smtp.url, sealed_secrets: sealed };
}

export async function listMailboxes(db: Db): Promise<MailboxRow[]> {
  return db.selectFrom('mailboxes').selectAll().orderBy('name').execute();
}

export async function getMailbox(db: Db, id: string): Promise<MailboxRow | null> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  return (await db.selectFrom('mailboxes').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function createMailbox(db: Db, input: MailboxInput, secretKeys: readonly string[]) {
  return db
    .insertInto('mailboxes')
    .values({
      name: input.name,
      address: input.address,
      kind: input.kind,
      locale: input.locale ?? null,
      enabled: input.enabled ?? true,
      ...urlsAndSecrets(input, null, secretKeys),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateMailbox(
  db: Db,
  was: MailboxRow,
  patch: Partial<MailboxInput>,
  secretKeys: readonly string[],
): Promise<MailboxRow> {
  return db
    .updateTable('mailboxes')
    .set({
      name: patch.name ?? was.name,
      address: patch.address ?? was.address,
      kind: patch.kind ?? was.kind,
      locale: patch.locale === undefined ? was.locale : patch.locale,
      enabled: patch.enabled ?? was.enabled,
      ...urlsAndSecrets(patch, was, secretKeys),
      updated_at: sql`now()`,
    })
    .where('id', '=', was.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteMailbox(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('mailboxes').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** What an intake and a sender of one mailbox run with. */
export interface RunnableMailbox {
  id: string;
  key: string;
  name: string;
  address: string;
  kind: 'imap' | 'graph';
  /** When the row last changed: a change restarts the mailbox's intake and sender. */
  version: string;
  imap?: ImapSettings;
  smtp?: SmtpSettings;
  graph?: GraphMailboxSettings;
}

/** The settings of a stored mailbox, its passwords opened. Throws when SECRET_KEY no longer opens them. */
export function runnableMailbox(
  row: MailboxRow,
  secretKeys: readonly string[],
  graphPollSeconds: number,
): RunnableMailbox {
  const secrets = row.sealed_secrets ? openSecrets(row.sealed_secrets, secretKeys) : {};
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
    version: new Date(row.updated_at).toISOString(),
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
  const row = await db.selectFrom('mailboxes').select('address').where('id', '=', id).executeTakeFirst();
  return row ? { key: key!, address: row.address } : null;
}
