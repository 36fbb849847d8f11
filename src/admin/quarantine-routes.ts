import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Queues } from '../pipeline/queues.js';
import { type PrincipalOf, requireAdmin } from './api-scope.js';
import { audit } from './audit.js';
import { HttpError, parseInput } from './http-error.js';
import { idParam } from './schemas.js';

// Quarantined mail back into the pipeline, e.g. once the cause (an outage, a bug) is fixed. A mail that
// still cannot be processed is quarantined again, with the new reason.

export function quarantineRoutes(app: FastifyInstance, db: Db, queues: Queues, principal: PrincipalOf) {
  // The quarantined mail as it arrived, as plain text (never rendered): the headers and the first 256 KB.
  app.get('/api/quarantine/:id/raw', async (req, reply) => {
    requireAdmin(principal, req);
    const { id } = parseInput(idParam, req.params);
    const limit = 256 * 1024;
    const row = await db
      .selectFrom('quarantine')
      .innerJoin('raw_mails', 'raw_mails.id', 'quarantine.raw_mail_id')
      // Only the first 256 KB leave the database, however large the stored mail.
      .select([
        sql<Buffer>`substring(raw_mails.bytes from 1 for ${limit})`.as('head'),
        sql<number>`octet_length(raw_mails.bytes)`.as('stored'),
      ])
      .where('quarantine.id', '=', id)
      .executeTakeFirst();
    if (!row) throw new HttpError(404, 'not_found', `no quarantined mail ${id} with its raw message`);
    return reply
      .type('text/plain; charset=utf-8')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('x-raw-truncated', Number(row.stored) > limit ? 'true' : 'false')
      .send(row.head.toString('utf8'));
  });

  app.post('/api/quarantine/:id/release', async (req, reply) => {
    const { id } = parseInput(idParam, req.params);
    const rawMailId = await db.transaction().execute(async (tx) => {
      const row = await tx.deleteFrom('quarantine').where('id', '=', id).returningAll().executeTakeFirst();
      if (!row) throw new HttpError(404, 'not_found', `no quarantined item ${id}`);
      if (!row.raw_mail_id)
        throw new HttpError(409, 'conflict', 'nothing to release: the item has no stored mail');
      await tx
        .updateTable('raw_mails')
        .set({ state: 'received', processed_at: null })
        .where('id', '=', row.raw_mail_id)
        .where('state', '=', 'quarantined')
        .execute();
      await audit(tx, {
        actor: principal(req).actor,
        action: 'release',
        entity: 'quarantine',
        entityId: id,
        before: { code: row.code, reason: row.reason, rawMailId: row.raw_mail_id },
      });
      return String(row.raw_mail_id);
    });
    // The mail is stored as received again; should this enqueue fail, the recovery sweeper finds it.
    await queues
      .requeue('ingest', [{ rawMailId }])
      .catch((err) =>
        req.log.warn({ err, rawMailId }, 'released mail not enqueued; the recovery sweeper will'),
      );
    return reply.status(202).send({ released: true, rawMailId });
  });
}
