import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import type { IncidentsTable } from '../db/schema.js';
import { importGraphIncidents } from '../triage/graph-health-import.js';
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
const listQuery = z.object({ active: z.enum(['true', 'false']).optional() });

export interface HealthImportSettings {
  baseUrl?: string;
  token?: string;
}

export function incidentRoutes(
  app: FastifyInstance,
  db: Db,
  triageConfig: TriageConfig,
  principal: PrincipalOf,
  health: HealthImportSettings = {},
) {
  const find = (id: string) => db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();

  app.get('/api/incidents', async (req) => {
    const q = parseInput(listQuery, req.query);
    let query = db.selectFrom('incidents').selectAll().orderBy('updated_at', 'desc').limit(1000);
    if (q.active) query = query.where('active', '=', q.active === 'true');
    return { items: (await query.execute()).map((r) => incidentView(r as IncidentRowOut)) };
  });

  app.get('/api/incidents/:id', async (req) => {
    const { id } = parseInput(idParam, req.params);
    const row = await find(id);
    if (!row) throw new HttpError(404, 'not_found', `no incident ${id}`);
    return incidentView(row as IncidentRowOut);
  });

  app.post('/api/incidents', async (req, reply) => {
    const body = parseInput(incidentSchema, req.body);
    const row = await db
      .insertInto('incidents')
      .values(incidentRow(body, 'manual'))
      .onConflict((oc) => oc.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row)
      throw new HttpError(409, 'conflict', `id: incident ${body.id} exists already; PUT to change it`);
    await audit(db, {
      actor: principal(req).actor,
      action: 'create',
      entity: 'incident',
      entityId: body.id,
      after: body,
    });
    triageConfig.invalidate();
    return reply.status(201).send(incidentView(row as IncidentRowOut));
  });

  app.route({
    method: ['PUT', 'PATCH'],
    url: '/api/incidents/:id',
    handler: async (req) => {
      const { id } = parseInput(idParam, req.params);
      const before = await find(id);
      if (!before) throw new HttpError(404, 'not_found', `no incident ${id}`);
      const view = incidentView(before as IncidentRowOut);
      const patch =
        req.method === 'PUT'
          ? parseInput(incidentSchema.omit({ id: true }), stripId(req.body, id))
          : parseInput(incidentPatchSchema, req.body);
      const merged = parseInput(incidentSchema, {
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
      const { id: _id, source: _source, ...columns } = incidentRow(merged, String(before.source));
      const row = await db
        .updateTable('incidents')
        .set(columns)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(db, {
        actor: principal(req).actor,
        action: 'update',
        entity: 'incident',
        entityId: id,
        before: view,
        after: merged,
      });
      triageConfig.invalidate();
      return incidentView(row as IncidentRowOut);
    },
  });

  app.delete('/api/incidents/:id', async (req, reply) => {
    const { id } = parseInput(idParam, req.params);
    const before = await find(id);
    if (!before) throw new HttpError(404, 'not_found', `no incident ${id}`);
    await db.deleteFrom('incidents').where('id', '=', id).execute();
    await audit(db, {
      actor: principal(req).actor,
      action: 'delete',
      entity: 'incident',
      entityId: id,
      before: incidentView(before as IncidentRowOut),
    });
    triageConfig.invalidate();
    return reply.status(204).send();
  });

  app.post('/api/incidents/import', async (req) => {
    if (!health.baseUrl) {
      throw new HttpError(409, 'not_configured', 'SERVICE_HEALTH_URL is not set');
    }
    const result = await importGraphIncidents({ db, baseUrl: health.baseUrl, token: health.token });
    await audit(db, {
      actor: principal(req).actor,
      action: 'import',
      entity: 'incident',
      entityId: '*',
      after: result,
    });
    triageConfig.invalidate();
    return result;
  });
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
