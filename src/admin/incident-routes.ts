import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import type { IncidentsTable } from '../db/schema.js';
import {
  type GraphImportProps,
  importServiceHealth,
  serviceHealthFailure,
} from '../triage/graph-health-import.js';
import { incidentPatchSchema, incidentRow, incidentSchema } from '../triage/incidents.js';
import type { TriageConfig } from '../triage/triage-config.js';
import type { PrincipalOf } from './api-scope.js';
import { audit } from './audit.js';
import { HttpError, parseInput } from './http-error.js';

type IncidentRowOut = { [K in keyof IncidentsTable]: unknown } & {
  started_at: Date;
  updated_at: Date;
  regions: string[];
};

export function incidentView(r: IncidentRowOut) {
  return {
    id: r.id,
    service: r.service,
    serviceId: r.service_id,
    title: r.title,
    status: r.status,
    active: r.active,
    regions: r.regions,
    startedAt: r.started_at,
    updatedAt: r.updated_at,
    link: r.link,
    source: r.source,
  };
}

const idParam = z.object({ id: z.string().regex(/^[A-Z]{2,4}\d{3,12}$/, 'must look like EX123456') });
export const incidentListQuery = z.object({ active: z.enum(['true', 'false']).optional() });

/** Where incidents are imported from (SERVICE_HEALTH_URL, or Graph with the Entra app); null: nowhere. */
export type HealthImportSettings = Pick<GraphImportProps, 'baseUrl' | 'token' | 'tokens'> | null;

interface IncidentRouteDeps {
  db: Db;
  triageConfig: TriageConfig;
  principal: PrincipalOf;
  health: HealthImportSettings;
}

function findIncident(db: Db, id: string) {
  return db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
}

async function findIncidentOr404(db: Db, id: string) {
  const row = await findIncident(db, id);
  if (!row) throw new HttpError(404, 'not_found', `no incident ${id}`);
  return row;
}

async function listIncidents(db: Db, req: FastifyRequest) {
  const q = parseInput(incidentListQuery, req.query);
  let query = db.selectFrom('incidents').selectAll().orderBy('updated_at', 'desc').limit(1000);
  if (q.active) query = query.where('active', '=', q.active === 'true');
  return { items: (await query.execute()).map((r) => incidentView(r as IncidentRowOut)) };
}

async function getIncident(db: Db, req: FastifyRequest) {
  const { id } = parseInput(idParam, req.params);
  return incidentView((await findIncidentOr404(db, id)) as IncidentRowOut);
}

async function createIncident(deps: IncidentRouteDeps, req: FastifyRequest, reply: FastifyReply) {
  const body = parseInput(incidentSchema, req.body);
  const row = await deps.db
    .insertInto('incidents')
    .values(incidentRow(body, 'manual'))
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new HttpError(409, 'conflict', `id: incident ${body.id} exists already; PUT to change it`);
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'create',
    entity: 'incident',
    entityId: body.id,
    after: body,
  });
  deps.triageConfig.invalidate();
  return reply.status(201).send(incidentView(row as IncidentRowOut));
}

/** PUT replaces every field but the id, PATCH only those given; the result is validated whole. */
function mergeIncidentChange(req: FastifyRequest, id: string, view: ReturnType<typeof incidentView>) {
  const patch =
    req.method === 'PUT'
      ? parseInput(incidentSchema.omit({ id: true }), stripId(req.body, id))
      : parseInput(incidentPatchSchema, req.body);
  return parseInput(incidentSchema, {
    id,
    service: view.service,
    title: view.title,
    status: view.status,
    regions: view.regions,
    startedAt: new Date(view.startedAt).toISOString(),
    link: view.link,
    ...patch,
    updatedAt: patch.updatedAt ?? new Date().toISOString(),
  });
}

async function updateIncident(deps: IncidentRouteDeps, req: FastifyRequest) {
  const { id } = parseInput(idParam, req.params);
  const before = await findIncidentOr404(deps.db, id);
  const view = incidentView(before as IncidentRowOut);
  const merged = mergeIncidentChange(req, id, view);
  const { id: _id, source: _source, ...columns } = incidentRow(merged, String(before.source));
  const row = await deps.db
    .updateTable('incidents')
    .set(columns)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'update',
    entity: 'incident',
    entityId: id,
    before: view,
    after: merged,
  });
  deps.triageConfig.invalidate();
  return incidentView(row as IncidentRowOut);
}

async function deleteIncident(deps: IncidentRouteDeps, req: FastifyRequest, reply: FastifyReply) {
  const { id } = parseInput(idParam, req.params);
  const before = await findIncidentOr404(deps.db, id);
  await deps.db.deleteFrom('incidents').where('id', '=', id).execute();
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'delete',
    entity: 'incident',
    entityId: id,
    before: incidentView(before as IncidentRowOut),
  });
  deps.triageConfig.invalidate();
  return reply.status(204).send();
}

async function importIncidents(deps: IncidentRouteDeps, req: FastifyRequest) {
  if (!deps.health) {
    throw new HttpError(409, 'not_configured', 'neither SERVICE_HEALTH_URL nor an Entra app (MS_*) is set');
  }
  const result = await importServiceHealth({ db: deps.db, ...deps.health }).catch((err: unknown) => {
    throw new HttpError(
      502,
      'service_health_failed',
      `service health import failed: ${serviceHealthFailure(err)}`,
    );
  });
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'import',
    entity: 'incident',
    entityId: '*',
    after: result,
  });
  deps.triageConfig.invalidate();
  return result;
}

export function incidentRoutes(
  app: FastifyInstance,
  db: Db,
  triageConfig: TriageConfig,
  principal: PrincipalOf,
  health: HealthImportSettings = null,
) {
  const deps: IncidentRouteDeps = { db, triageConfig, principal, health };
  app.get('/api/incidents', (req) => listIncidents(db, req));
  app.get('/api/incidents/:id', (req) => getIncident(db, req));
  app.post('/api/incidents', (req, reply) => createIncident(deps, req, reply));
  app.route({
    method: ['PUT', 'PATCH'],
    url: '/api/incidents/:id',
    handler: (req) => updateIncident(deps, req),
  });
  app.delete('/api/incidents/:id', (req, reply) => deleteIncident(deps, req, reply));
  app.post('/api/incidents/import', (req) => importIncidents(deps, req));
  app.get('/api/services', () => listServices(db));
}

/** The services Microsoft 365 service health names, and each one's state when last imported. */
async function listServices(db: Db) {
  const rows = await db.selectFrom('service_overviews').selectAll().orderBy('service').execute();
  return {
    items: rows.map((r) => ({
      id: r.id,
      service: r.service,
      status: r.status,
      operational: /^serviceOperational$|^serviceRestored$/i.test(r.status),
      updatedAt: r.updated_at,
    })),
  };
}

/** A PUT body may repeat the id; it must then be the one in the URL. */
function stripId(body: unknown, id: string): unknown {
  if (body && typeof body === 'object' && 'id' in body) {
    const { id: bodyId, ...rest } = body as Record<string, unknown>;
    if (bodyId !== id) throw new HttpError(400, 'validation_failed', `id: must be ${id}, as in the URL`);
    return rest;
  }
  return body;
}
