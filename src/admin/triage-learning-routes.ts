import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import { loadCorrections, mostCorrectedRules } from '../triage/corrections.js';
import { addAlias, removeAlias } from '../triage/service-catalogue-store.js';
import type { TriageConfig } from '../triage/triage-config.js';
import type { PrincipalOf } from './api-scope.js';
import { audit } from './audit.js';
import { HttpError, parseInput } from './http-error.js';

// What triage learns from the desk: the service catalogue with the aliases admins add, and the corrections
// agents and admins make to cases (with the rules that needed correcting most).

const serviceParam = z.strictObject({ id: z.string().trim().min(1).max(100) });
const aliasParam = serviceParam.extend({ alias: z.string().trim().min(1).max(100) });
const aliasBody = z.strictObject({ alias: z.string().trim().min(1, 'is empty').max(100) });
const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

async function listCatalogue(deps: Deps) {
  const [catalogue, overviews] = await Promise.all([
    deps.triageConfig.catalogue(),
    deps.db.selectFrom('service_overviews').selectAll().execute(),
  ]);
  return {
    items: catalogue.entries.map((e) => {
      const health = overviews.find((o) => catalogue.forName(o.id)?.id === e.id || o.service === e.name);
      return {
        id: e.id,
        name: e.name,
        nameJa: e.nameJa,
        aliases: [...e.aliases, ...e.cased],
        customAliases: e.custom,
        discovered: e.discovered,
        health: health ? { status: health.status, updatedAt: health.updated_at } : null,
      };
    }),
  };
}

async function postAlias(deps: Deps, req: FastifyRequest, reply: FastifyReply) {
  const { id } = parseInput(serviceParam, req.params);
  const { alias } = parseInput(aliasBody, req.body);
  const actor = deps.principal(req).actor;
  const added = await addAlias(deps.db, await deps.triageConfig.catalogue(), id, alias, actor);
  if (!added.ok) {
    if (added.reason === 'unknown_service') throw new HttpError(404, 'not_found', `no service ${id}`);
    if (added.reason === 'alias_taken')
      throw new HttpError(409, 'alias_taken', `alias: "${alias}" already names ${added.owner}`);
    throw new HttpError(400, 'validation_failed', `alias: ${added.why}`);
  }
  await audit(deps.db, {
    actor,
    action: 'create',
    entity: 'service_alias',
    entityId: `${id}:${alias}`,
    after: { alias },
  });
  deps.triageConfig.invalidate();
  const entry = (await deps.triageConfig.catalogue()).byServiceId(id);
  return reply.status(201).send({ id, customAliases: entry?.custom ?? [alias] });
}

async function deleteAlias(deps: Deps, req: FastifyRequest, reply: FastifyReply) {
  const { id, alias } = parseInput(aliasParam, req.params);
  if (!(await removeAlias(deps.db, id, alias)))
    throw new HttpError(404, 'not_found', `${id} has no alias "${alias}" added by an admin`);
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'delete',
    entity: 'service_alias',
    entityId: `${id}:${alias}`,
  });
  deps.triageConfig.invalidate();
  return reply.status(204).send();
}

async function listCorrections(deps: Deps, req: FastifyRequest) {
  const { limit } = parseInput(listQuery, req.query);
  const rows = await loadCorrections(deps.db, limit);
  return {
    items: rows.map((r) => ({
      id: String(r.id),
      caseNumber: Number(r.case_number),
      actor: r.actor,
      via: r.via,
      from: { category: r.from_category, handling: r.from_handling },
      to: { category: r.to_category, handling: r.to_handling },
      ruleId: r.rule_id,
      subject: r.subject,
      at: r.created_at,
    })),
  };
}

async function correctedRules(deps: Deps) {
  const rules = (await deps.triageConfig.rules()).rules;
  const items = await mostCorrectedRules(deps.db);
  return {
    items: items.map((i) => ({ ...i, ruleName: rules.find((r) => r.id === i.ruleId)?.name ?? null })),
  };
}

interface Deps {
  db: Db;
  triageConfig: TriageConfig;
  principal: PrincipalOf;
}

export function triageLearningRoutes(app: FastifyInstance, deps: Deps) {
  app.get('/api/service-catalogue', () => listCatalogue(deps));
  app.post('/api/service-catalogue/:id/aliases', (req, reply) => postAlias(deps, req, reply));
  app.delete('/api/service-catalogue/:id/aliases/:alias', (req, reply) => deleteAlias(deps, req, reply));
  app.get('/api/corrections', (req) => listCorrections(deps, req));
  app.get('/api/corrections/rules', () => correctedRules(deps));
}
