import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import { type PrincipalOf, requireAdmin } from './api-scope.js';
import { HttpError, parseInput } from './http-error.js';
import { numberParam } from './schemas.js';
import { type TrailEntry, trailCases, trailCsv, trailOf } from './trail.js';

// The compliance trail (admins only): one case's, or every case that arrived in a trailPeriod; JSON, or CSV with
// `Accept: text/csv` or `?format=csv`.

const maxCases = 5_000;
export const trailPeriod = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).or(z.iso.date()),
    to: z.iso.datetime({ offset: true }).or(z.iso.date()),
    format: z.enum(['json', 'csv']).optional(),
  })
  .refine((p) => new Date(p.from) < new Date(p.to), { message: 'from must be before to' });

function send(
  req: FastifyRequest,
  reply: FastifyReply,
  entries: TrailEntry[],
  name: string,
  truncated = false,
) {
  // `?format=csv` does the same as the Accept header, for a plain download link.
  const format = (req.query as { format?: unknown } | undefined)?.format;
  if (format === 'csv' || (format !== 'json' && (req.headers.accept ?? '').includes('text/csv')))
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}.csv"`)
      .header('x-trail-truncated', truncated ? 'true' : 'false')
      .send(trailCsv(entries));
  return { entries, truncated };
}

export function trailRoutes(app: FastifyInstance, db: Db, supportAddress: string, principal: PrincipalOf) {
  app.get('/api/cases/:number/trail', async (req, reply) => {
    requireAdmin(principal, req);
    const { number } = parseInput(numberParam, req.params);
    parseInput(z.strictObject({ format: z.enum(['json', 'csv']).optional() }), req.query);
    const cases = await trailCases(db, { number, limit: 1 });
    if (!cases.length) throw new HttpError(404, 'not_found', `no case ${number}`);
    return send(req, reply, await trailOf(db, cases, supportAddress), `case-${number}-trail`);
  });

  app.get('/api/trail', async (req, reply) => {
    requireAdmin(principal, req);
    const p = parseInput(trailPeriod, req.query);
    const cases = await trailCases(db, { from: new Date(p.from), to: new Date(p.to), limit: maxCases });
    const truncated = cases.length > maxCases;
    const entries = await trailOf(db, cases.slice(0, maxCases), supportAddress);
    return send(req, reply, entries, `trail-${p.from.slice(0, 10)}-${p.to.slice(0, 10)}`, truncated);
  });
}
