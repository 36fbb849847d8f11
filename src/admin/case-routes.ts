import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { PrincipalOf } from './api-scope.js';
import { caseDetailView, caseSummaryView } from './case-view.js';
import { readCaseSnapshot, selectCaseSummaries } from './case-view-repository.js';
import { HttpError, parseInput } from './http-error.js';
import { caseListQuery, numberParam } from './schemas.js';

async function listCases(db: Db, query: unknown, me: string | null) {
  const q = parseInput(caseListQuery, query);
  let select = selectCaseSummaries(db).orderBy('cases.number', 'desc').limit(q.limit);
  if (q.status) select = select.where('cases.status', '=', q.status);
  if (q.customer) select = select.where('cases.customer_id', '=', q.customer);
  if (q.category) select = select.where('cases.category', '=', q.category);
  if (q.before) select = select.where('cases.number', '<', String(q.before));
  if (q.assignee === 'none') select = select.where('cases.assignee_id', 'is', null);
  else if (q.assignee) {
    const email = q.assignee === 'me' ? me : q.assignee;
    if (!email) throw new HttpError(400, 'bad_request', 'assignee=me needs a signed-in agent');
    select = select.where('cases.assignee_id', 'in', (eb) =>
      eb.selectFrom('agents').select('id').where(sql<string>`lower(email)`, '=', email),
    );
  }
  if (q.overdue === 'true')
    select = select
      .where('cases.status', 'in', ['new', 'open'])
      .where('cases.due_paused_at', 'is', null)
      .where('cases.due_at', '<', new Date());
  const rows = await select.execute();
  return { items: rows.map(caseSummaryView) };
}

export async function getCase(db: Db, params: unknown) {
  const { number } = parseInput(numberParam, params);
  const snapshot = await readCaseSnapshot(db, number);
  if (!snapshot) throw new HttpError(404, 'not_found', `no case ${number}`);
  return caseDetailView(snapshot);
}

async function listQuarantine(db: Db, query: unknown) {
  const q = parseInput(caseListQuery.pick({ limit: true }), query);
  const rows = await db
    .selectFrom('quarantine')
    .leftJoin('raw_mails', 'raw_mails.id', 'quarantine.raw_mail_id')
    .select([
      'quarantine.id',
      'quarantine.source',
      'quarantine.code',
      'quarantine.reason',
      'quarantine.created_at',
      'raw_mails.id as raw_mail_id',
      'raw_mails.mailbox_key',
      'raw_mails.uid',
      'raw_mails.size',
    ])
    .orderBy('quarantine.created_at', 'desc')
    .limit(q.limit)
    .execute();
  return {
    items: rows.map((r) => ({
      id: r.id,
      source: r.source,
      code: r.code,
      reason: r.reason,
      at: r.created_at,
      rawMail: r.raw_mail_id
        ? {
            id: r.raw_mail_id,
            mailbox: r.mailbox_key,
            uid: r.uid === null ? null : Number(r.uid),
            size: r.size,
          }
        : null,
    })),
  };
}

export function caseRoutes(app: FastifyInstance, db: Db, principal: PrincipalOf) {
  app.get('/api/cases', (req) => {
    const actor = principal(req).actor;
    return listCases(db, req.query, actor.startsWith('agent:') ? actor.slice(6) : null);
  });
  app.get('/api/cases/:number', (req) => getCase(db, req.params));
  app.get('/api/quarantine', (req) => listQuarantine(db, req.query));
}
