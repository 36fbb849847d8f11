import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import { sessionAgent } from '../sign-in.js';
import { adminAssets, assetNames } from './bundle.js';
import { adminLocale } from './i18n.js';
import { type AdminPage, adminPages } from './pages.js';
import { renderShell, type ShellUser } from './shell.js';

// The admin's pages at /admin: each route checks the session itself (signed out → the sign-in page;
// an agent asking for an admin page → 403), then sends the page's frame. Scripts and styles are public.

// Only this site's admin paths may be returned to after signing in: no scheme, no host, no `//`, no `\\`,
// printable ASCII only (a redirect header takes nothing else).
const nextPath = z
  .string()
  .max(500)
  .regex(/^\/admin(?:[/?#][\x21-\x5b\x5d-\x7e]*)?$/)
  .refine((p) => !p.includes('//'))
  .catch('/admin');

const securityHeaders = {
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

function sendPage(reply: FastifyReply, status: number, html: string) {
  return reply.code(status).headers(securityHeaders).type('text/html; charset=utf-8').send(html);
}

async function pageHandler(db: Db, page: AdminPage, req: FastifyRequest, reply: FastifyReply) {
  const agent = await sessionAgent(db, req);
  if (!agent) return reply.redirect(`/admin/sign-in?next=${encodeURIComponent(req.url)}`, 302);
  if (page.name === 'dashboard' && agent.role !== 'admin') return reply.redirect('/admin/cases', 302);
  const user: ShellUser = { ...agent, locale: adminLocale(agent.locale), csrfToken: reply.generateCsrf() };
  if (page.admin && agent.role !== 'admin')
    return sendPage(reply, 403, renderShell({ page: 'forbidden', user, params: {} }));
  return sendPage(reply, 200, renderShell({ page: page.name, user, params: req.params as object }));
}

export function adminWebRoutes(app: FastifyInstance, db: Db): void {
  const asset = adminAssets();
  for (const page of adminPages) app.get(page.path, (req, reply) => pageHandler(db, page, req, reply));

  app.get('/admin/sign-in', async (req, reply) => {
    const next = nextPath.parse((req.query as { next?: unknown } | undefined)?.next ?? '/admin');
    if (await sessionAgent(db, req)) return reply.redirect(next, 302);
    const locale = adminLocale(/^en\b/i.test(String(req.headers['accept-language'] ?? '')) ? 'en' : 'ja');
    return sendPage(reply, 200, renderShell({ page: 'sign-in', user: null, locale, params: { next } }));
  });

  app.get('/admin/assets/:name', async (req, reply) => {
    const name = (req.params as { name: string }).name;
    if (!assetNames.includes(name as never))
      return reply.code(404).send({ error: 'not_found', message: name });
    const a = await asset(name as (typeof assetNames)[number]);
    return reply
      .type(a.type)
      .header('cache-control', 'public, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .send(a.body);
  });
}
