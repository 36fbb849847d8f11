import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import { dryRun } from '../triage/dry-run.js';
import { type Rule, ruleSchema, ruleSetSchema } from '../triage/rule-schema.js';
import { defaultRules, type TriageConfig } from '../triage/triage-config.js';
import type { PrincipalOf } from './api-scope.js';
import { audit } from './audit.js';
import { HttpError, parseInput } from './http-error.js';

// Rules are one ordered, versioned set: every change saves a new version (history kept, audited).

const ruleSetBody = z.object({ rules: ruleSetSchema, note: z.string().trim().max(500).optional() }).strict();
const dryRunBody = z
  .object({ rules: ruleSetSchema, limit: z.number().int().min(1).max(5000).default(500) })
  .strict();
const ruleIdParam = z.object({ id: z.string().min(1).max(80) });
const positionQuery = z.object({ position: z.coerce.number().int().min(0).optional() });

export function ruleRoutes(app: FastifyInstance, db: Db, triageConfig: TriageConfig, principal: PrincipalOf) {
  const requireAdmin = (req: object) => {
    const p = principal(req);
    if (p.role !== 'admin') throw new HttpError(403, 'forbidden', 'editing rules needs the admin role');
    return p;
  };

  /**
   * Applies a change to the newest stored set under a lock, so two admins (or two API processes) editing at
   * once both land, in turn, rather than the second silently undoing the first.
   */
  async function save(
    req: object,
    change: (current: Rule[]) => Rule[],
    note: string,
    action: string,
    entityId: string,
  ) {
    const actor = requireAdmin(req).actor;
    const row = await db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(hashtextextended('rule_sets save', 0))`.execute(tx);
      const latest = await tx
        .selectFrom('rule_sets')
        .select('rules')
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      const parsedLatest = latest ? ruleSetSchema.safeParse(latest.rules) : null;
      if (latest && !parsedLatest?.success) {
        throw new HttpError(
          409,
          'conflict',
          'the stored rule set is not valid; replace it whole with PUT /api/rules',
        );
      }
      const current = parsedLatest?.success ? parsedLatest.data : defaultRules();
      const checked = parseInput(ruleSetSchema, change(current));
      const saved = await tx
        .insertInto('rule_sets')
        .values({ rules: JSON.stringify(checked), note, actor })
        .returning(['version', 'created_at'])
        .executeTakeFirstOrThrow();
      await audit(tx, {
        actor,
        action,
        entity: 'rule',
        entityId,
        before: entityId === '*' ? current : current.find((r) => r.id === entityId),
        after: entityId === '*' ? checked : checked.find((r) => r.id === entityId),
      });
      return { version: String(saved.version), rules: checked };
    });
    triageConfig.invalidate();
    return row;
  }

  app.get('/api/rules', async () => triageConfig.rules());

  app.get('/api/rules/versions', async () => {
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
  });

  app.put('/api/rules', async (req) => {
    const body = parseInput(ruleSetBody, req.body);
    return save(req, () => body.rules, body.note ?? 'rule set replaced', 'replace', '*');
  });

  app.post('/api/rules/dry-run', async (req) => {
    const body = parseInput(dryRunBody, req.body);
    return dryRun(db, (await triageConfig.rules()).rules, body.rules, body.limit);
  });

  app.get('/api/rules/:id', async (req) => {
    const { id } = parseInput(ruleIdParam, req.params);
    const rule = (await triageConfig.rules()).rules.find((r) => r.id === id);
    if (!rule) throw new HttpError(404, 'not_found', `no rule ${id}`);
    return rule;
  });

  app.post('/api/rules', async (req, reply) => {
    const rule = parseInput(ruleSchema, req.body);
    const { position } = parseInput(positionQuery, req.query);
    const saved = await save(
      req,
      (current) => {
        if (current.some((r) => r.id === rule.id)) {
          throw new HttpError(409, 'conflict', `id: a rule ${rule.id} exists already`);
        }
        const rules = [...current];
        rules.splice(position ?? rules.length, 0, rule);
        return rules;
      },
      `rule ${rule.id} added`,
      'create',
      rule.id,
    );
    return reply.status(201).send({ version: saved.version, rule });
  });

  app.put('/api/rules/:id', async (req) => {
    const { id } = parseInput(ruleIdParam, req.params);
    const rule = parseInput(ruleSchema, req.body);
    if (rule.id !== id) throw new HttpError(400, 'validation_failed', `id: must be ${id}, as in the URL`);
    const saved = await save(
      req,
      (current) => {
        const at = current.findIndex((r) => r.id === id);
        if (at < 0) throw new HttpError(404, 'not_found', `no rule ${id}`);
        const rules = [...current];
        rules[at] = rule;
        return rules;
      },
      `rule ${id} changed`,
      'update',
      id,
    );
    return { version: saved.version, rule };
  });

  app.delete('/api/rules/:id', async (req, reply) => {
    const { id } = parseInput(ruleIdParam, req.params);
    await save(
      req,
      (current) => {
        if (!current.some((r) => r.id === id)) throw new HttpError(404, 'not_found', `no rule ${id}`);
        return current.filter((r) => r.id !== id);
      },
      `rule ${id} deleted`,
      'delete',
      id,
    );
    return reply.status(204).send();
  });
}
