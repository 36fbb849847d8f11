import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import { type RenderSandbox, TemplateRenderError } from '../replies/render-sandbox.js';
import { sampleReplyContext } from '../replies/sample-case.js';
import { lintTemplate } from '../replies/template-lint.js';
import type { TemplateStore } from '../replies/template-store.js';
import {
  hasVariant,
  listTemplates,
  saveTemplateVersion,
  TemplateVersionConflict,
  templateHistory,
} from '../replies/template-versions.js';
import { channels, type Locale, locales, type TemplateKey, templateKeys } from '../vocabulary.js';
import { type PrincipalOf, requireAdmin } from './api-scope.js';
import { audit } from './audit.js';
import { HttpError, parseInput } from './http-error.js';

// The templates API (admins only): the live text and history of each template, a new version (linted first),
// a preview against a sample case of a plan, and a rollback that makes an old version live again.

const params = z.strictObject({ key: z.enum(templateKeys), locale: z.enum(locales) });
export const templateQuery = z.strictObject({ channel: z.enum(channels).default('email') });
// Templates are short; a longer one would only cost the parser time.
export const templateSource = z.strictObject({
  subject: z.string().max(1_000),
  body: z.string().max(20_000),
});
/** `at`: the arrival time of the sample case (default now), e.g. a Friday evening for the out-of-hours text. */
export const previewBody = templateSource.extend({
  planId: z.uuid().nullable().optional(),
  at: z.iso.datetime({ offset: true }).optional(),
});
/** `baseVersion`: the version the edit started from; the save is refused (409) if another came first. */
export const saveBody = templateSource.extend({ baseVersion: z.number().int().min(0).optional() });
export const rollbackBody = z.strictObject({ version: z.number().int().min(0) });

export interface TemplateRouteDeps {
  db: Db;
  templates: TemplateStore;
  sandbox: RenderSandbox;
  supportAddress: string;
}

/** The template a request names; 404 for a chat variant that does not exist. */
function target(req: { params: unknown; query: unknown }) {
  const { key, locale } = parseInput(params, req.params);
  const { channel } = parseInput(templateQuery, req.query);
  if (!hasVariant(key, channel)) throw new HttpError(404, 'not_found', `${key} has no ${channel} variant`);
  return { key, locale, channel };
}

async function checked(
  deps: TemplateRouteDeps,
  key: TemplateKey,
  locale: Locale,
  s: z.infer<typeof templateSource>,
) {
  const { context } = await sampleReplyContext(deps.db, { supportAddress: deps.supportAddress, locale });
  const problems = await lintTemplate(deps.sandbox, key, s, JSON.parse(JSON.stringify(context)));
  if (problems.length) throw new HttpError(422, 'template_invalid', problems[0]!.message, { problems });
}

/** The template rendered for a sample case of a plan, with the lint's problems. */
async function preview(deps: TemplateRouteDeps, req: { params: unknown; query: unknown; body: unknown }) {
  const t = target(req);
  const { planId, at, ...s } = parseInput(previewBody, req.body);
  if (planId && !(await deps.db.selectFrom('plans').select('id').where('id', '=', planId).executeTakeFirst()))
    throw new HttpError(404, 'not_found', `no plan ${planId}`);
  const sample = await sampleReplyContext(deps.db, {
    supportAddress: deps.supportAddress,
    locale: t.locale,
    planId,
    now: at ? new Date(at) : undefined,
  });
  const context = JSON.parse(JSON.stringify(sample.context));
  const problems = await lintTemplate(deps.sandbox, t.key, s, context);
  if (problems.some((p) => p.line !== null))
    throw new HttpError(422, 'template_invalid', problems[0]!.message, { problems });
  // A problem without a place (a fact left out) still previews; one that stops the render answers 422.
  const out = await deps.sandbox.render(s, context).catch((err: unknown) => {
    if (!(err instanceof TemplateRenderError)) throw err;
    const all = [...problems, { line: null, column: null, message: `does not render: ${err.message}` }];
    throw new HttpError(422, 'template_invalid', all[0]!.message, { problems: all });
  });
  return { ...t, plan: sample.planName, subject: out.subject ?? '', body: out.body ?? '', problems };
}

export function templateRoutes(app: FastifyInstance, deps: TemplateRouteDeps, principal: PrincipalOf) {
  app.get('/api/templates', async (req) => {
    requireAdmin(principal, req);
    return { items: await listTemplates(deps.db) };
  });

  app.get('/api/templates/:key/:locale', async (req) => {
    requireAdmin(principal, req);
    const t = target(req);
    const versions = await templateHistory(deps.db, deps.templates, t.key, t.locale, t.channel);
    const live = versions[0]!;
    return { ...t, version: live.version, subject: live.subject, body: live.body, versions };
  });

  app.put('/api/templates/:key/:locale', async (req, reply) => {
    requireAdmin(principal, req);
    const t = target(req);
    const { baseVersion, ...s } = parseInput(saveBody, req.body);
    await checked(deps, t.key, t.locale, s);
    const actor = principal(req).actor;
    const version = await saveTemplateVersion(deps.db, { ...t, ...s, actor }, baseVersion).catch(
      (err: unknown) => {
        if (err instanceof TemplateVersionConflict)
          throw new HttpError(409, 'conflict', `${err.message}: reload and edit again`);
        throw err;
      },
    );
    deps.templates.invalidate();
    await audit(deps.db, {
      actor,
      action: 'save',
      entity: 'template',
      entityId: `${t.channel}/${t.key}/${t.locale}`,
      after: { version },
    });
    return reply.status(201).send({ ...t, version });
  });

  app.post('/api/templates/:key/:locale/preview', async (req) => {
    requireAdmin(principal, req);
    return preview(deps, req);
  });

  app.post('/api/templates/:key/:locale/rollback', async (req, reply) => {
    requireAdmin(principal, req);
    const t = target(req);
    const { version } = parseInput(rollbackBody, req.body);
    const versions = await templateHistory(deps.db, deps.templates, t.key, t.locale, t.channel);
    const old = versions.find((v) => v.version === version);
    if (!old) throw new HttpError(404, 'not_found', `${t.key}/${t.locale} has no version ${version}`);
    // An old version may not suit today's context (a variable since renamed): it is linted like a new one.
    await checked(deps, t.key, t.locale, { subject: old.subject, body: old.body });
    const actor = principal(req).actor;
    const saved = await saveTemplateVersion(deps.db, { ...t, subject: old.subject, body: old.body, actor });
    deps.templates.invalidate();
    await audit(deps.db, {
      actor,
      action: 'rollback',
      entity: 'template',
      entityId: `${t.channel}/${t.key}/${t.locale}`,
      after: { version: saved, from: version },
    });
    return reply.status(201).send({ ...t, version: saved, rolledBackTo: version });
  });
}
