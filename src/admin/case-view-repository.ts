import type { Db } from '../db/database.js';

// The reads behind the case list and the case view. The SQL lives here; the shapes the API returns are
// made by the pure mappers in case-view.ts.

/** Cases joined with their contact and customer, as the list and the view both show them. */
export function selectCaseSummaries(q: Db) {
  return q
    .selectFrom('cases')
    .innerJoin('contacts', 'contacts.id', 'cases.contact_id')
    .leftJoin('customers', 'customers.id', 'cases.customer_id')
    .leftJoin('agents as assignee', 'assignee.id', 'cases.assignee_id')
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
      'cases.assignee_id',
      'cases.microsoft_request_number',
      'cases.microsoft_request_opened_at',
      'cases.microsoft_request_status',
      'cases.due_paused_at',
      'customers.id as customer_id',
      'customers.name as customer_name',
      'contacts.email as contact_email',
      'contacts.name as contact_name',
      'assignee.email as assignee_email',
      'assignee.name as assignee_name',
    ]);
}

export type CaseSummaryRow = Awaited<
  ReturnType<ReturnType<typeof selectCaseSummaries>['executeTakeFirstOrThrow']>
>;

function selectMessages(tx: Db, caseId: string) {
  return tx
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
      'from_name',
      'message_id',
      'auto_reply_blocker',
      'agent_id',
      'internal',
      'created_at',
    ])
    .where('case_id', '=', caseId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

function selectSends(tx: Db, caseId: string) {
  return tx
    .selectFrom('outbox')
    .select([
      'id',
      'template_key',
      'purpose',
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
    .where('case_id', '=', caseId)
    .orderBy('created_at')
    .execute();
}

function selectAttachments(tx: Db, messageIds: string[]) {
  if (!messageIds.length) return Promise.resolve([]);
  return tx
    .selectFrom('attachments')
    .select(['id', 'message_id', 'filename', 'content_type', 'size', 'omitted_reason'])
    .where('message_id', 'in', messageIds)
    .execute();
}

async function readCaseRecords(tx: Db, row: CaseSummaryRow) {
  const [messages, triage, sends, escalation] = await Promise.all([
    selectMessages(tx, row.id),
    tx.selectFrom('triage_records').selectAll().where('case_id', '=', row.id).orderBy('id').execute(),
    selectSends(tx, row.id),
    tx.selectFrom('escalations').selectAll().where('case_id', '=', row.id).executeTakeFirst(),
  ]);
  const attachments = await selectAttachments(
    tx,
    messages.map((m) => m.id),
  );
  return { row, messages, attachments, triage, sends, escalation };
}

export type CaseSnapshot = Awaited<ReturnType<typeof readCaseRecords>>;

/** Everything the case view shows, or null when there is no such case. */
export function readCaseSnapshot(db: Db, number: number): Promise<CaseSnapshot | null> {
  // One snapshot for the whole view: a case read half before and half after a triage commit would show
  // the decision's records next to the case's old category.
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (tx) => {
      const row = await selectCaseSummaries(tx).where('cases.number', '=', String(number)).executeTakeFirst();
      return row ? readCaseRecords(tx, row) : null;
    });
}
