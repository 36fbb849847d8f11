import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import { dryRun } from '../triage/dry-run.js';
import { type Judges, JudgesOverloaded } from '../triage/judge-threads.js';
import { type Rule, ruleSchema, ruleSetSchema } from '../triage/rule-schema.js';
import type { TriageConfig } from '../triage/triage-config.js';
import { type PrincipalOf, requireAdmin } from './api-scope.js';
import { HttpError, parseInput } from './http-error.js';
import { type RuleSetChange, saveRuleSet } from './rule-set-save.js';

// Rules are one ordered, versioned set: every change saves a new version (history kept, audited).

export const ruleSetBody = z
  .object({
    rules: ruleSetSchema,
    note: z.string().trim().max(500).optional(),
    /** The version the edit started from: a save made since answers 409. */
    baseVersion: z
      .string()
      .regex(/^\d{1,18}$/)
      .optional(),
  })
  .strict();
/** `from`/`to`: only cases created in that period (e.g. last month), newest first, at most `limit`. */
export const dryRunBody = z
  .object({
    rules: ruleSetSchema,
    limit: z.number().int().min(1).max(5000).default(500),
    from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  })
  .strict();
const ruleIdParam = z.object({ id: z.string().min(1).max(80) });
export const positionQuery = z.object({ position: z.coerce.number().int().min(0).optional() });

interface RuleRouteDeps {
  db: Db;
  triageConfig: TriageConfig;
  principal: PrincipalOf;
  judges?: Judges;
}

/** Saves a change as the request's admin; anyone else gets a 403 before anything is read. */
function saveAs(deps: RuleRouteDeps, req: object, change: Omit<RuleSetChange, 'actor'>) {
  requireAdmin(deps.principal, req, 'editing rules needs the admin role');
  return saveRuleSet(deps.db, deps.triageConfig, { ...change, actor: deps.principal(req).actor });
}

function insertRule(rule: Rule, position: number | undefined) {
  return (current: Rule[]) => {
    if (current.some((r) => r.id === rule.id)) {
      throw new HttpError(409, 'conflict', `id: a rule ${rule.id} exists already`);
    }
    const rules = [...current];
    rules.splice(position ?? rules.length, 0, rule);
    return rules;
  };
}

function replaceRule(id: string, rule: Rule) {
  return (current: Rule[]) => {
    const at = current.findIndex((r) => r.id === id);
    if (at < 0) throw new HttpError(404, 'not_found', `no rule ${id}`);
    const rules = [...current];
    rules[at] = rule;
    return rules;
  };
}

function removeRule(id: string) {
  return (current: Rule[]) => {
    if (!current.some((r) => r.id === id)) throw new HttpError(404, 'not_found', `no rule ${id}`);
    return current.filter((r) => r.id !== id);
  };
}

async function listVersions(db: Db) {
  const rows = await db
    .selectFrom('rule_sets')
    .select(['version', 'note', 'actor', 'created_at', 'rules'])
    .orderBy('version', 'desc')
    .limit(200)
    .execute();
  return {
    items: rows.map((r) => ({
      version: String(r.version),
      note: r.note,
      actor: r.actor,
      at: r.created_at,
      ruleCount: Array.isArray(r.rules) ? r.rules.length : 0,
    })),
  };
}

function replaceSet(deps: RuleRouteDeps, req: FastifyRequest) {
  const body = parseInput(ruleSetBody, req.body);
  return saveAs(deps, req, {
    change: () => body.rules,
    note: body.note ?? 'rule set replaced',
    action: 'replace',
    entityId: '*',
    baseVersion: body.baseVersion,
  });
}

async function dryRunSet(deps: RuleRouteDeps, req: FastifyRequest) {
  const body = parseInput(dryRunBody, req.body);
  const scope = {
    limit: body.limit,
    from: body.from ? new Date(body.from) : undefined,
    to: body.to ? new Date(body.to) : undefined,
  };
  const current = (await deps.triageConfig.rules()).rules;
  try {
    return await dryRun(deps.db, current, body.rules, scope, await deps.triageConfig.reading(), deps.judges);
  } catch (err) {
    if (err instanceof JudgesOverloaded)
      throw new HttpError(503, 'dry_run_too_large', `${err.message}: try a lower limit or a shorter period`);
    throw err;
  }
}

async function getRule(deps: RuleRouteDeps, req: FastifyRequest) {
  const { id } = parseInput(ruleIdParam, req.params);
  const rule = (await deps.triageConfig.rules()).rules.find((r) => r.id === id);
  if (!rule) throw new HttpError(404, 'not_found', `no rule ${id}`);
  return rule;
}

async function addRule(deps: RuleRouteDeps, req: FastifyRequest, reply: FastifyReply) {
  const rule = parseInput(ruleSchema, req.body);
  const { position } = parseInput(positionQuery, req.query);
  const saved = await saveAs(deps, req, {
    change: insertRule(rule, position),
    note: `rule ${rule.id} added`,
    action: 'create',
    entityId: rule.id,
  });
  return reply.status(201).send({ version: saved.version, rule });
}

async function updateRule(deps: RuleRouteDeps, req: FastifyRequest) {
  const { id } = parseInput(ruleIdParam, req.params);
  const rule = parseInput(ruleSchema, req.body);
  if (rule.id !== id) throw new HttpError(400, 'validation_failed', `id: must be ${id}, as in the URL`);
  const saved = await saveAs(deps, req, {
    change: replaceRule(id, rule),
    note: `rule ${id} changed`,
    action: 'update',
    entityId: id,
  });
  return { version: saved.version, rule };
}

async function deleteRule(deps: RuleRouteDeps, req: FastifyRequest, reply: FastifyReply) {
  const { id } = parseInput(ruleIdParam, req.params);
  await saveAs(deps, req, {
    change: removeRule(id),
    note: `rule ${id} deleted`,
    action: 'delete',
    entityId: id,
  });
  return reply.status(204).send();
}

export function ruleRoutes(
  app: FastifyInstance,
  db: Db,
  triageConfig: TriageConfig,
  principal: PrincipalOf,
  judges?: Judges,
) {
  const deps: RuleRouteDeps = { db, triageConfig, principal, judges };
  app.get('/api/rules', async () => triageConfig.rules());
  app.get('/api/rules/versions', () => listVersions(db));
  app.put('/api/rules', async (req) => replaceSet(deps, req));
  app.post('/api/rules/dry-run', (req) => dryRunSet(deps, req));
  app.get('/api/rules/:id', (req) => getRule(deps, req));
  app.post('/api/rules', (req, reply) => addRule(deps, req, reply));
  app.put('/api/rules/:id', (req) => updateRule(deps, req));
  app.delete('/api/rules/:id', (req, reply) => deleteRule(deps, req, reply));
}
