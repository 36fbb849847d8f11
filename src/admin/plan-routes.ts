import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Plan } from '../db/schema.js';
import { dueSamples } from '../triage/due-samples.js';
import type { PrincipalOf } from './api-scope.js';
import { audit } from './audit.js';
import { HttpError, parseInput } from './http-error.js';
import { idParam, objectBody, planSchema, profileSchema } from './schemas.js';

export function planView(p: Plan) {
  return {
    id: p.id,
    name: p.name,
    supportType: p.support_type,
    hours: p.hours,
    contactMethods: p.contact_methods,
    price: p.price,
    responseTargets: p.response_targets,
    createdAt: p.created_at,
    updatedAt: p.updated_at,
  };
}

function planColumns(b: ReturnType<typeof planSchema.parse>) {
  return {
    name: b.name,
    support_type: b.supportType,
    hours: JSON.stringify(b.hours),
    contact_methods: JSON.stringify(b.contactMethods),
    price: JSON.stringify(b.price),
    response_targets: JSON.stringify(b.responseTargets),
  };
}

interface PlanRouteDeps {
  db: Db;
  principal: PrincipalOf;
}

async function listPlans(db: Db) {
  const rows = await db.selectFrom('plans').selectAll().orderBy('created_at').execute();
  return { items: rows.map(planView) };
}

async function getPlan(db: Db, req: FastifyRequest) {
  const { id } = parseInput(idParam, req.params);
  const row = await db.selectFrom('plans').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new HttpError(404, 'not_found', `no plan ${id}`);
  return planView(row);
}

/** The due time of each priority for a few telling arrival times, so an admin sees the promise first. */
async function planDueSamples(db: Db, req: FastifyRequest) {
  const { id } = parseInput(idParam, req.params);
  const row = await db.selectFrom('plans').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new HttpError(404, 'not_found', `no plan ${id}`);
  return { timeZone: row.hours.timeZone, samples: dueSamples(row.hours, row.response_targets) };
}

async function createPlan(deps: PlanRouteDeps, req: FastifyRequest, reply: FastifyReply) {
  const body = parseInput(planSchema, req.body);
  const row = await deps.db
    .insertInto('plans')
    .values(planColumns(body))
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'create',
    entity: 'plan',
    entityId: row.id,
    after: body,
  });
  return reply.status(201).send(planView(row));
}

async function updatePlan(deps: PlanRouteDeps, req: FastifyRequest, partial: boolean) {
  const { id } = parseInput(idParam, req.params);
  const before = await deps.db.selectFrom('plans').selectAll().where('id', '=', id).executeTakeFirst();
  if (!before) throw new HttpError(404, 'not_found', `no plan ${id}`);
  // PATCH merges onto the stored plan and then validates the whole, so the result is always a valid plan.
  const merged = partial ? { ...planView(before), ...parseInput(objectBody, req.body) } : req.body;
  const body = parseInput(planSchema, merged);
  const row = await deps.db
    .updateTable('plans')
    .set({ ...planColumns(body), updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'update',
    entity: 'plan',
    entityId: id,
    before: planView(before),
    after: body,
  });
  return planView(row);
}

async function deletePlan(deps: PlanRouteDeps, req: FastifyRequest, reply: FastifyReply) {
  const { id } = parseInput(idParam, req.params);
  const used = await deps.db
    .selectFrom('customers')
    .select('id')
    .where('plan_id', '=', id)
    .executeTakeFirst();
  if (used)
    throw new HttpError(409, 'conflict', 'plan is used by customers; move them to another plan first');
  const row = await deps.db.deleteFrom('plans').where('id', '=', id).returningAll().executeTakeFirst();
  if (!row) throw new HttpError(404, 'not_found', `no plan ${id}`);
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'delete',
    entity: 'plan',
    entityId: id,
    before: planView(row),
  });
  return reply.status(204).send();
}

type ProfileRow = Awaited<ReturnType<typeof readProfile>>;
const readProfile = (db: Db) =>
  db.selectFrom('partner_profile').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();

function profileView(p: ProfileRow) {
  return {
    name: p.name,
    defaultPlanId: p.default_plan_id,
    deskName: p.desk_name,
    subjectTag: p.subject_tag,
    signature: p.signature,
  };
}

async function getProfile(db: Db) {
  return profileView(await readProfile(db));
}

async function updateProfile(deps: PlanRouteDeps, req: FastifyRequest) {
  const body = parseInput(profileSchema, req.body);
  if (body.defaultPlanId) {
    const plan = await deps.db
      .selectFrom('plans')
      .select('id')
      .where('id', '=', body.defaultPlanId)
      .executeTakeFirst();
    if (!plan) throw new HttpError(400, 'validation_failed', `defaultPlanId: no plan ${body.defaultPlanId}`);
  }
  const before = await readProfile(deps.db);
  const p = await deps.db
    .updateTable('partner_profile')
    .set({
      name: body.name,
      default_plan_id: body.defaultPlanId,
      desk_name: body.deskName,
      subject_tag: body.subjectTag,
      signature: body.signature,
      updated_at: sql`now()`,
    })
    .where('id', '=', 1)
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'update',
    entity: 'profile',
    entityId: '1',
    before: profileView(before),
    after: body,
  });
  return profileView(p);
}

export function planRoutes(app: FastifyInstance, db: Db, principal: PrincipalOf) {
  const deps: PlanRouteDeps = { db, principal };
  app.get('/api/plans', () => listPlans(db));
  app.get('/api/plans/:id', (req) => getPlan(db, req));
  app.get('/api/plans/:id/due-samples', (req) => planDueSamples(db, req));
  app.post('/api/plans', (req, reply) => createPlan(deps, req, reply));
  app.put('/api/plans/:id', (req) => updatePlan(deps, req, false));
  app.patch('/api/plans/:id', (req) => updatePlan(deps, req, true));
  app.delete('/api/plans/:id', (req, reply) => deletePlan(deps, req, reply));
  app.get('/api/profile', () => getProfile(db));
  app.put('/api/profile', (req) => updateProfile(deps, req));
}
