import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import { type PrincipalOf, requireAdmin } from './api-scope.js';
import { parseInput } from './http-error.js';

// Who changed what, newest first (admins only): every change through the API or the admin pages.

export const auditQuery = z.strictObject({
  entity: z.string().max(50).optional(),
  entityId: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Entries older than this id (the previous page's last). */
  before: z.coerce.number().int().positive().optional(),
});

export function auditRoutes(app: FastifyInstance, db: Db, principal: PrincipalOf) {
  app.get('/api/audit', async (req) => {
    requireAdmin(principal, req);
    const q = parseInput(auditQuery, req.query);
    let select = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(q.limit);
    if (q.entity) select = select.where('entity', '=', q.entity);
    if (q.entityId) select = select.where('entity_id', '=', q.entityId);
    if (q.before) select = select.where('id', '<', String(q.before));
    const rows = await select.execute();
    return {
      items: rows.map((r) => ({
        id: Number(r.id),
        at: r.at,
        actor: r.actor,
        action: r.action,
        entity: r.entity,
        entityId: r.entity_id,
        before: r.before,
        after: r.after,
      })),
    };
  });
}
