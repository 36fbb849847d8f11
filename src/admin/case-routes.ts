import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.js';
import { HttpError, parseInput } from './http-error.js';
import { caseListQuery, numberParam } from './schemas.js';

export function caseRoutes(app: FastifyInstance, db: Db) {
  const base = (q: Db = db) =>
    q
      .selectFrom('cases')
      .innerJoin('contacts', 'contacts.id', 'cases.contact_id')
      .leftJoin('customers', 'customers.id', 'cases.customer_id')
      .select([
        'cases.id',
        'cases.number',
        'cases.subject',
        'cases.status',
        'cases.priority',
        'cases.category',
        'cases.handling',
        'cases.channel',
        'cases.verified',
        'cases.due_at',
        'cases.tags',
        'cases.locale',
        'cases.created_at',
        'cases.updated_at',
        'customers.id as customer_id',
        'customers.name as customer_name',
        'contacts.email as contact_email',
        'contacts.name as contact_name',
      ]);
  type Row = Awaited<ReturnType<ReturnType<typeof base>['executeTakeFirstOrThrow']>>;
  const view = (r: Row) => ({
    number: Number(r.number),
    subject: r.subject,
    status: r.status,
    priority: r.priority,
    category: r.category,
    handling: r.handling,
    channel: r.channel,
    verified: r.verified,
    customer: r.customer_id ? { id: r.customer_id, name: r.customer_name } : null,
    contact: { email: r.contact_email, name: r.contact_name },
    dueAt: r.due_at,
    tags: r.tags,
    locale: r.locale,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

  app.get('/api/cases', async (req) => {
    const q = parseInput(caseListQuery, req.query);
    let query = base().orderBy('cases.number', 'desc').limit(q.limit);
    if (q.status) query = query.where('cases.status', '=', q.status);
    if (q.customer) query = query.where('cases.customer_id', '=', q.customer);
    if (q.category) query = query.where('cases.category', '=', q.category);
    if (q.before) query = query.where('cases.number', '<', String(q.before));
    const rows = await query.execute();
    return { items: rows.map(view) };
  });

  app.get('/api/cases/:number', async (req) => {
    const { number } = parseInput(numberParam, req.params);
    // One snapshot for the whole view: a case read half before and half after a triage commit would show
    // the decision's records next to the case's old category.
    const found = await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (tx) => {
        const row = await base(tx).where('cases.number', '=', String(number)).executeTakeFirst();
        if (!row) return null;
        const [messages, triage, sends, escalation] = await Promise.all([
          tx
            .selectFrom('messages')
            .select([
              'id',
              'direction',
              'author',
              'channel',
              'subject',
              'text',
              'html',
              'from_address',
              'message_id',
              'auto_reply_blocker',
              'created_at',
            ])
            .where('case_id', '=', row.id)
            .orderBy('created_at')
            .orderBy('id')
            .execute(),
          tx.selectFrom('triage_records').selectAll().where('case_id', '=', row.id).orderBy('id').execute(),
          tx
            .selectFrom('outbox')
            .select([
              'id',
              'template_key',
              'channel',
              'to_address',
              'status',
              'subject',
              'message_id',
              'attempts',
              'last_error',
              'created_at',
              'sent_at',
            ])
            .where('case_id', '=', row.id)
            .orderBy('created_at')
            .execute(),
          tx.selectFrom('escalations').selectAll().where('case_id', '=', row.id).executeTakeFirst(),
        ]);
        const attachments = messages.length
          ? await tx
              .selectFrom('attachments')
              .select(['id', 'message_id', 'filename', 'content_type', 'size', 'omitted_reason'])
              .where(
                'message_id',
                'in',
                messages.map((m) => m.id),
              )
              .execute()
          : [];
        return {
          ...view(row),
          messages: messages.map((m) => ({
            id: m.id,
            direction: m.direction,
            author: m.author,
            channel: m.channel,
            subject: m.subject,
            text: m.text,
            html: m.html,
            from: m.from_address,
            messageId: m.message_id,
            autoReplyBlocker: m.auto_reply_blocker,
            attachments: attachments
              .filter((a) => a.message_id === m.id)
              .map((a) => ({
                id: a.id,
                filename: a.filename,
                contentType: a.content_type,
                size: a.size,
                omittedReason: a.omitted_reason,
              })),
            at: m.created_at,
          })),
          triage: triage.map((t) => ({ step: t.step, result: t.result, reason: t.reason, at: t.created_at })),
          sends: sends.map((s) => ({
            id: s.id,
            template: s.template_key,
            channel: s.channel,
            to: s.to_address,
            status: s.status,
            subject: s.subject,
            messageId: s.message_id,
            attempts: s.attempts,
            error: s.last_error,
            at: s.sent_at ?? s.created_at,
          })),
          escalation: escalation
            ? {
                target: escalation.target,
                category: escalation.category,
                to: escalation.to_address,
                status: escalation.status,
                reason: escalation.reason,
                at: escalation.created_at,
              }
            : null,
        };
      });
    if (!found) throw new HttpError(404, 'not_found', `no case ${number}`);
    return found;
  });

  app.get('/api/quarantine', async (req) => {
    const q = parseInput(caseListQuery.pick({ limit: true }), req.query);
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
          ? { id: r.raw_mail_id, mailbox: r.mailbox_key, uid: Number(r.uid), size: r.size }
          : null,
      })),
    };
  });
}
