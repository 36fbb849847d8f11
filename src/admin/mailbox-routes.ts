import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { bareEmail, type Config, imapUrlSchema, smtpUrlSchema } from '../config.js';
import type { Db } from '../db/database.js';
import type { HealthBoard, PartHealth } from '../health.js';
import { mailboxParts } from '../mailboxes/mailbox-parts.js';
import { SecretsUnreadableError } from '../mailboxes/mailbox-secrets.js';
import {
  createMailbox,
  deleteMailbox,
  getMailbox,
  listMailboxes,
  loginOf,
  type MailboxInput,
  type MailboxRow,
  mailboxKeyOf,
  updateMailbox,
  withoutPassword,
} from '../mailboxes/mailbox-store.js';
import { type PrincipalOf, requireAdmin } from './api-scope.js';
import { audit } from './audit.js';
import { HttpError, parseInput } from './http-error.js';
import { idParam } from './schemas.js';

// The mailboxes the product reads and answers through: the environment's own (IMAP_URL/SMTP_URL or
// GRAPH_MAILBOX, read-only here) and those admins add. Passwords go in (in the URLs) and never come out:
// a view shows each URL without its password and whether one is stored.

const fields = {
  name: z.string().trim().min(1).max(100),
  address: z.string().trim().toLowerCase().regex(bareEmail, 'must be an email address'),
  kind: z.enum(['imap', 'graph']),
  imapUrl: imapUrlSchema.nullable().optional(),
  smtpUrl: smtpUrlSchema.nullable().optional(),
  locale: z.enum(['ja', 'en']).nullable().optional(),
  enabled: z.boolean().optional(),
};
export const mailboxCreateSchema = z.strictObject(fields);
export const mailboxPatchSchema = z.strictObject(fields).partial();

interface MailboxRouteDeps {
  db: Db;
  config: Pick<Config, 'imap' | 'smtp' | 'graphMailbox' | 'microsoft' | 'supportAddress'>;
  health: Pick<HealthBoard, 'read'>;
  /** The keys mailbox passwords are sealed with (the first) and opened with. */
  sealKeys: () => readonly string[];
  principal: PrincipalOf;
}

/** What must hold of a whole mailbox (after a PATCH is merged): the kind decides which URLs it has. */
function checkWhole(m: MailboxInput, deps: MailboxRouteDeps): void {
  const problem = (msg: string) => new HttpError(400, 'validation_failed', msg);
  if (m.kind === 'graph') {
    if (m.imapUrl || m.smtpUrl)
      throw problem('imapUrl, smtpUrl: a Graph mailbox is read and sent through Graph');
    if (!deps.config.microsoft)
      throw new HttpError(
        422,
        'microsoft_app_missing',
        'a Graph mailbox needs MS_TENANT_ID, MS_CLIENT_ID and MS_CLIENT_SECRET',
      );
    return;
  }
  if (!m.imapUrl) throw problem('imapUrl: an IMAP mailbox needs the URL to read it from');
  // Its answers go out from its own address: through its own relay, never another's.
  if (!m.smtpUrl) throw problem('smtpUrl: an IMAP mailbox needs the relay its answers go out through');
  const xoauth2 = [m.imapUrl, m.smtpUrl].filter((u) => new URL(u!).searchParams.get('auth') === 'xoauth2');
  if (xoauth2.length && !deps.config.microsoft)
    throw new HttpError(
      422,
      'microsoft_app_missing',
      '?auth=xoauth2 needs MS_TENANT_ID, MS_CLIENT_ID and MS_CLIENT_SECRET',
    );
  // The app's token opens every mailbox the app may read: it goes to Microsoft's mail servers only (or to
  // the ones the environment names), never to a host an admin typed.
  for (const u of xoauth2)
    if (!tokenHostAllowed(new URL(u!).hostname, deps.config))
      throw problem(
        `${u === m.imapUrl ? 'imapUrl' : 'smtpUrl'}: ?auth=xoauth2 sends the Microsoft app's token, so only to Microsoft's mail servers (outlook.office365.com, smtp.office365.com) or those of IMAP_URL/SMTP_URL`,
      );
}

const microsoftMailHosts = /(^|\.)(office365\.com|office365\.us|outlook\.com|outlook\.cn|office\.com)$/i;

export function tokenHostAllowed(host: string, config: MailboxRouteDeps['config']): boolean {
  if (microsoftMailHosts.test(host)) return true;
  const own = [config.imap, config.smtp].filter((s) => s?.auth === 'xoauth2').map((s) => s!.host);
  return own.includes(host.replace(/^\[(.*)\]$/, '$1'));
}

/** A mailbox read already (the environment's, or another added one) may not be added twice: two readers. */
async function checkNotReadTwice(
  m: MailboxInput,
  deps: MailboxRouteDeps,
  self: string | null,
): Promise<void> {
  const login = loginOf({
    kind: m.kind,
    address: m.address,
    imap_url: m.imapUrl ? withoutPassword(m.imapUrl).url : null,
  });
  const { imap, graphMailbox } = deps.config;
  const environment = graphMailbox
    ? `graph:${graphMailbox.address}`
    : imap
      ? loginOf({
          kind: 'imap',
          address: '',
          imap_url: `imap://${encodeURIComponent(imap.user)}@${imap.host}:${imap.port}/${encodeURIComponent(imap.mailbox)}`,
        })
      : null;
  const others = (await listMailboxes(deps.db)).filter((r) => r.id !== self).map(loginOf);
  if (login === environment || others.includes(login))
    throw new HttpError(409, 'conflict', 'imapUrl, address: this mailbox is read already');
}

const isNameClash = (err: unknown) =>
  (err as { code?: string }).code === '23505' &&
  /mailboxes_(name|address)_key/.test(String((err as { constraint?: string }).constraint));

function clash(err: unknown): never {
  if (isNameClash(err)) throw new HttpError(409, 'conflict', 'name, address: another mailbox has it already');
  if (err instanceof SecretsUnreadableError)
    throw new HttpError(
      422,
      'mailbox_secrets_unreadable',
      'the stored passwords no longer open with SECRET_KEY: give the URLs again with their passwords',
    );
  throw err;
}

function view(row: MailboxRow, parts: Record<string, PartHealth>) {
  const names = mailboxParts(row.name);
  return {
    id: row.id,
    key: mailboxKeyOf(row.id),
    name: row.name,
    address: row.address,
    kind: row.kind,
    imapUrl: row.imap_url,
    smtpUrl: row.smtp_url,
    // Whether a password is stored, never the password.
    hasSecrets: row.sealed_secrets !== null,
    locale: row.locale,
    enabled: row.enabled,
    source: 'api' as const,
    health: { intake: parts[names.intake]?.state ?? 'unknown', send: parts[names.send]?.state ?? 'unknown' },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The environment's mailbox, as far as it can be shown: no password, no secret. */
function defaultView(deps: MailboxRouteDeps, parts: Record<string, PartHealth>) {
  const { imap, smtp, graphMailbox, supportAddress } = deps.config;
  if (!imap && !graphMailbox) return null;
  // As the URL was written (without its password): imaps/smtps for implicit TLS, ?tls=off for plain text.
  const url = (s: { tls: string; host: string; port: number; user?: string }, scheme: string, path = '') =>
    `${scheme}${s.tls === 'implicit' ? 's' : ''}://${s.user ? `${encodeURIComponent(s.user)}@` : ''}${s.host}:${s.port}${path}${s.tls === 'off' ? '?tls=off' : ''}`;
  return {
    id: 'default',
    key: graphMailbox?.key ?? imap!.key,
    name: 'default',
    address: graphMailbox?.address ?? supportAddress,
    kind: graphMailbox ? 'graph' : 'imap',
    imapUrl: imap ? url(imap, 'imap', `/${encodeURIComponent(imap.mailbox)}`) : null,
    smtpUrl: smtp ? url(smtp, 'smtp') : null,
    hasSecrets: !!(imap?.password || smtp?.password),
    locale: null,
    enabled: true,
    source: 'environment' as const,
    health: {
      intake: parts[graphMailbox ? 'graph' : 'imap']?.state ?? 'unknown',
      send: parts[graphMailbox ? 'graph_send' : 'smtp']?.state ?? 'unknown',
    },
  };
}

async function list(deps: MailboxRouteDeps) {
  const [rows, parts] = await Promise.all([
    listMailboxes(deps.db),
    deps.health.read().catch(() => ({}) as Record<string, PartHealth>),
  ]);
  const first = defaultView(deps, parts);
  return { items: [...(first ? [first] : []), ...rows.map((r) => view(r, parts))] };
}

async function found(deps: MailboxRouteDeps, req: FastifyRequest): Promise<MailboxRow> {
  const { id } = parseInput(idParam, req.params);
  const row = await getMailbox(deps.db, id);
  if (!row) throw new HttpError(404, 'not_found', `mailbox ${id} not found`);
  return row;
}

async function create(deps: MailboxRouteDeps, req: FastifyRequest, reply: FastifyReply) {
  const body = parseInput(mailboxCreateSchema, req.body);
  checkWhole(body, deps);
  await checkNotReadTwice(body, deps, null);
  const row = await createMailbox(deps.db, body, deps.sealKeys()).catch(clash);
  // The audit trail records what changed, never a password: the stored URLs are without one.
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'create',
    entity: 'mailbox',
    entityId: row.id,
    after: view(row, {}),
  });
  return reply.status(201).send(view(row, {}));
}

async function patch(deps: MailboxRouteDeps, req: FastifyRequest) {
  const was = await found(deps, req);
  const body = parseInput(mailboxPatchSchema, req.body);
  const merged: MailboxInput = {
    name: body.name ?? was.name,
    address: body.address ?? was.address,
    kind: body.kind ?? was.kind,
    imapUrl: body.imapUrl === undefined ? was.imap_url : body.imapUrl,
    smtpUrl: body.smtpUrl === undefined ? was.smtp_url : body.smtpUrl,
  };
  checkWhole(merged, deps);
  await checkNotReadTwice(merged, deps, was.id);
  const row = await updateMailbox(deps.db, was, body, deps.sealKeys()).catch(clash);
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'update',
    entity: 'mailbox',
    entityId: row.id,
    before: view(was, {}),
    after: view(row, {}),
  });
  return view(row, {});
}

async function remove(deps: MailboxRouteDeps, req: FastifyRequest, reply: FastifyReply) {
  const was = await found(deps, req);
  await deleteMailbox(deps.db, was.id);
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'delete',
    entity: 'mailbox',
    entityId: was.id,
    before: view(was, {}),
  });
  return reply.status(204).send();
}

export function mailboxRoutes(app: FastifyInstance, deps: MailboxRouteDeps) {
  const admin = (req: FastifyRequest) => requireAdmin(deps.principal, req);
  app.get('/api/mailboxes', async (req) => {
    admin(req);
    return list(deps);
  });
  app.get('/api/mailboxes/:id', async (req) => {
    admin(req);
    const parts = await deps.health.read().catch(() => ({}) as Record<string, PartHealth>);
    return view(await found(deps, req), parts);
  });
  app.post('/api/mailboxes', async (req, reply) => {
    admin(req);
    return create(deps, req, reply);
  });
  app.patch('/api/mailboxes/:id', async (req) => {
    admin(req);
    return patch(deps, req);
  });
  app.delete('/api/mailboxes/:id', async (req, reply) => {
    admin(req);
    return remove(deps, req, reply);
  });
}
