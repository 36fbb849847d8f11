import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { z } from 'zod';
import type { Db } from '../db/database.js';
import type { Queues } from '../pipeline/queues.js';
import { type PrincipalOf, requireAdmin } from './api-scope.js';
import { audit } from './audit.js';
import { HttpError, parseInput } from './http-error.js';
import { idParam, sendListQuery } from './schemas.js';

// Sends as admins see them: failed ones with the relay's answer, and a way to send one again once the cause
// (a full mailbox, a typo in a customer's address fixed at their end) is gone.

interface SendRouteDeps {
  db: Db;
  queues: Queues;
  principal: PrincipalOf;
}

function selectSends(db: Db, q: z.infer<typeof sendListQuery>) {
  let query = db
    .selectFrom('outbox')
    .innerJoin('cases', 'cases.id', 'outbox.case_id')
    .select([
      'outbox.id',
      'cases.number',
      'outbox.template_key',
      'outbox.channel',
      'outbox.to_address',
      'outbox.status',
      'outbox.last_error',
      'outbox.attempts',
      'outbox.created_at',
      'outbox.last_attempt_at',
    ])
    .orderBy('outbox.created_at', 'desc')
    .orderBy('outbox.id', 'desc')
    .limit(q.limit);
  if (q.status) query = query.where('outbox.status', '=', q.status);
  if (q.before) {
    // Keyset paging: everything strictly after the given send in (created_at, id) order.
    const before = q.before;
    query = query.where(
      sql<boolean>`(outbox.created_at, outbox.id) < (select created_at, id from outbox where id = ${before})`,
    );
  }
  return query.execute();
}

async function listSends(deps: SendRouteDeps, req: FastifyRequest) {
  requireAdmin(deps.principal, req);
  const q = parseInput(sendListQuery, req.query);
  const rows = await selectSends(deps.db, q);
  const items = rows.map((r) => ({
    id: r.id,
    caseNumber: Number(r.number),
    template: r.template_key,
    channel: r.channel,
    to: r.to_address,
    status: r.status,
    error: r.last_error,
    attempts: r.attempts,
    createdAt: r.created_at,
    lastAttemptAt: r.last_attempt_at,
  }));
  return { items, next: items.length === q.limit ? (items.at(-1)?.id ?? null) : null };
}

/** Sets a failed send pending again, audited; any other state is a 409. */
function markSendPending(db: Db, id: string, actor: string) {
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('outbox')
      .select(['status', 'last_error', 'attempts'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new HttpError(404, 'not_found', `no send ${id}`);
    if (row.status !== 'failed')
      throw new HttpError(409, 'conflict', `only a failed send can be retried; this one is ${row.status}`);
    await tx.updateTable('outbox').set({ status: 'pending' }).where('id', '=', id).execute();
    await audit(tx, {
      actor,
      action: 'retry',
      entity: 'send',
      entityId: id,
      before: { status: row.status, error: row.last_error, attempts: row.attempts },
      after: { status: 'pending' },
    });
  });
}

async function retrySend(deps: SendRouteDeps, req: FastifyRequest, reply: FastifyReply) {
  requireAdmin(deps.principal, req);
  const { id } = parseInput(idParam, req.params);
  await markSendPending(deps.db, id, deps.principal(req).actor);
  // The row is pending again; should this enqueue fail, the recovery sweeper finds it.
  await deps.queues
    .requeue('outbound', [{ outboxId: id }])
    .catch((err) =>
      req.log.warn({ err, outboxId: id }, 'retried send not enqueued; the recovery sweeper will'),
    );
  return reply.status(202).send({ retried: true, id });
}

export function sendRoutes(app: FastifyInstance, db: Db, queues: Queues, principal: PrincipalOf) {
  const deps: SendRouteDeps = { db, queues, principal };
  app.get('/api/sends', (req) => listSends(deps, req));
  app.post('/api/sends/:id/retry', (req, reply) => retrySend(deps, req, reply));
}
