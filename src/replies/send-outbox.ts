import { type Selectable, sql } from 'kysely';
import type { OutgoingMail } from '../channels/email/smtp-sender.js';
import { type Db, prepared } from '../db/database.js';
import type { Database } from '../db/schema.js';
import type { Logger } from '../logger.js';

export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
}

export interface SendOutboxDeps {
  db: Db;
  logger: Logger;
  /** Absent when SMTP_URL is not set: replies are then stored and logged, not sent. */
  transport?: MailTransport;
  /** Delivers chat replies to the visitor's room (any gateway). */
  chat?: {
    deliver(caseId: string, line: { id: string; author: 'agent' | 'system'; text: string; at: string }): void;
  };
}

/** The columns a send needs, named: a prepared statement's result must not change with the table. */
type ClaimedRow = Pick<
  Selectable<Database['outbox']>,
  | 'case_id'
  | 'channel'
  | 'message_id'
  | 'from_address'
  | 'to_address'
  | 'subject'
  | 'body_text'
  | 'in_reply_to'
  | 'references'
  | 'automatic'
>;

export type SendOutcome = 'sent' | 'logged' | 'already-sent' | 'missing';

export interface SendResult {
  outcome: SendOutcome;
  /** When the message that called for this reply was stored (for the reply-latency metric). */
  triggerAt?: Date | null;
}

/**
 * Sends one outbox row. The row is marked before and after the relay call; the Message-ID was fixed when
 * the row was written, so a retry after a crash carries the same Message-ID and the recipient can tell.
 */
export async function sendOutbox(deps: SendOutboxDeps, outboxId: string): Promise<SendResult> {
  const row = (
    await sql<ClaimedRow>`${prepared('outbox_claim')}
      update outbox set status = 'sending', attempts = attempts + 1
      where id = ${outboxId} and status in ('pending', 'sending', 'failed')
      returning case_id, channel, message_id, from_address, to_address, subject, body_text, in_reply_to,
        "references", automatic`.execute(deps.db)
  ).rows[0];
  if (!row) {
    const exists = await deps.db
      .selectFrom('outbox')
      .select('status')
      .where('id', '=', outboxId)
      .executeTakeFirst();
    return { outcome: exists ? 'already-sent' : 'missing' };
  }
  if (row.channel === 'chat' && deps.chat) {
    // The visitor sees the message row the reply was stored as; a repeat delivery has the same id.
    const line = await deps.db
      .selectFrom('messages')
      .select(['id', 'author', 'text', 'created_at'])
      .where('case_id', '=', row.case_id)
      .where('message_id', '=', row.message_id)
      .executeTakeFirst();
    if (line) {
      deps.chat.deliver(row.case_id, {
        id: line.id,
        author: line.author === 'agent' ? 'agent' : 'system',
        text: line.text,
        at: new Date(line.created_at).toISOString(),
      });
      return { outcome: 'sent', triggerAt: await markDone(deps.db, outboxId, 'sent') };
    }
  }
  if (!deps.transport) {
    deps.logger.info(
      { outboxId, to: row.to_address, subject: row.subject },
      'reply stored, not sent (SMTP_URL not set)',
    );
    return { outcome: 'logged', triggerAt: await markDone(deps.db, outboxId, 'logged') };
  }
  try {
    await deps.transport.send({
      from: row.from_address,
      to: row.to_address,
      subject: row.subject,
      text: row.body_text,
      messageId: row.message_id,
      inReplyTo: row.in_reply_to,
      references: row.references,
      automatic: row.automatic,
    });
  } catch (err) {
    await deps.db
      .updateTable('outbox')
      .set({ last_error: String((err as Error).message ?? err).slice(0, 1000) })
      .where('id', '=', outboxId)
      .execute();
    throw err;
  }
  return { outcome: 'sent', triggerAt: await markDone(deps.db, outboxId, 'sent') };
}

async function markDone(db: Db, id: string, status: 'sent' | 'logged'): Promise<Date | null> {
  const row = (
    await sql<{ trigger_at: Date | null }>`${prepared('outbox_done')}
      update outbox set status = ${status}, sent_at = now(), last_error = null where id = ${id}
      returning (select created_at from messages where messages.id = outbox.trigger_message_id) as trigger_at`.execute(
      db,
    )
  ).rows[0];
  return row?.trigger_at ?? null;
}

export async function markOutboxFailed(db: Db, id: string, error: string): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ status: 'failed', last_error: error.slice(0, 1000) })
    .where('id', '=', id)
    .execute();
}
