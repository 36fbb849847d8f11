import { randomUUID } from 'node:crypto';
import { type Selectable, sql } from 'kysely';
import type { OutgoingAttachment, OutgoingMail } from '../channels/email/outgoing-mail.js';
import { RelayOutageError } from '../channels/email/smtp-errors.js';
import { type Db, prepared } from '../db/database.js';
import type { Database } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { RelayGate } from './relay-gate.js';

export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  /** Checks the relay without sending (login, TLS), throwing as `send` does. */
  verify?(): Promise<void>;
}

/**
 * How long a claim holds a send. Longer than the relay's socket timeout (30 s in SmtpSender), and renewed
 * while the relay call runs, so the relay's answer is recorded before the lease ends; after a crash it
 * lapses and the send is claimed again.
 */
export const outboxLeaseMs = 45_000;
const leaseRenewMs = 15_000;
/** A second claimer looks again at most this soon while a lease holds. */
const leaseWaitMaxMs = 5_000;

export interface SendOutboxDeps {
  db: Db;
  logger: Logger;
  /** Absent when SMTP_URL is not set: replies are then stored and logged, not sent. */
  transport?: MailTransport;
  /** Pauses sends while the relay is out. */
  relay?: RelayGate;
  /** The environment's support address: the From of a reply whose own mailbox is gone (deleted or disabled). */
  supportAddress?: string;
  /** The transport and gate of a mailbox admins added (by the outbox row's `mailbox_key`); null: the above. */
  routes?: { route(key: string): Promise<{ transport: MailTransport; relay: RelayGate } | null> };
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
  | 'template_key'
  | 'purpose'
  | 'reply_to'
  | 'from_name'
  | 'body_html'
  | 'trigger_message_id'
  | 'mailbox_key'
> & { case_number: string | null; prev_attempt_at: Date | null };

export type SendOutcome = 'sent' | 'logged' | 'already-sent' | 'failed-earlier' | 'missing' | 'wait';

/** What the log lines of a send name: never an address or a body. */
export interface ReplyFacts {
  caseNumber: number | null;
  template: string | null;
  channel: string;
}

export interface SendResult {
  outcome: SendOutcome;
  /** When the message that called for this reply was stored (for the reply-latency metric). */
  triggerAt?: Date | null;
  /** For `wait`: when to look again (another claim holds the send, or the relay is out). */
  retryInMs?: number;
  reply?: ReplyFacts;
}

interface Claim {
  id: string;
  owner: string;
  row: ClaimedRow;
}

/**
 * Sends one outbox row under a lease: only the claim's owner sends it and records the relay's answer. The
 * Message-ID was fixed when the row was written, so a send repeated after a crash carries the same one.
 */
export async function sendOutbox(deps: SendOutboxDeps, outboxId: string): Promise<SendResult> {
  const claim = (await claimOutboxes(deps.db, [outboxId])).get(outboxId);
  if (!claim) return unclaimed(deps.db, outboxId);
  return sendClaimed(deps, claim);
}

/** The sends of a batch, claimed in one statement; `send` sends one of them, `end` once all are done. */
export interface ClaimedBatch {
  send(outboxId: string): Promise<SendResult>;
  end(): void;
}

/**
 * Claims a batch's sends in one statement under one owner, and keeps the leases of those not sent yet
 * renewed until `end`: a batch sent a few at a time never loses a waiting send to another claimer.
 */
export async function claimBatch(deps: SendOutboxDeps, outboxIds: readonly string[]): Promise<ClaimedBatch> {
  const claims = await claimOutboxes(deps.db, [...new Set(outboxIds)]);
  const owner = claims.values().next().value?.owner;
  // When the leases were last known to run for their full length: a send waiting in the batch past the
  // safe part of that (renewals failing, say) is not sent from this claim; its own job takes it over.
  let renewedAt = Date.now();
  const timer = setInterval(() => {
    const started = Date.now();
    sql`update outbox set lease_until = now() + make_interval(secs => ${outboxLeaseMs / 1000})
      where lease_owner = ${owner ?? null} and status = 'sending'`
      .execute(deps.db)
      .then(() => {
        renewedAt = started;
      })
      .catch((err) => deps.logger.warn({ err }, 'outbox leases of a batch not renewed'));
  }, leaseRenewMs);
  return {
    send: async (id) => {
      const claim = claims.get(id);
      if (!claim) return unclaimed(deps.db, id);
      claims.delete(id);
      const leftMs = renewedAt + outboxLeaseMs - Date.now();
      if (leftMs < leaseRenewMs) return { outcome: 'wait', retryInMs: Math.max(leftMs, 0) + 1_000 };
      return sendClaimed(deps, claim);
    },
    end: () => clearInterval(timer),
  };
}

async function sendClaimed(deps: SendOutboxDeps, claim: Claim): Promise<SendResult> {
  const { row } = claim;
  const reply: ReplyFacts = {
    caseNumber: row.case_number === null ? null : Number(row.case_number),
    template: row.template_key,
    channel: row.channel,
  };
  try {
    const done = await deliver(deps, claim);
    return { ...done, reply };
  } catch (err) {
    // Delivered but not recorded: handing the claim back would send it again at once. The row stays claimed
    // and is sent again only if its lease lapses unrecorded (the same Message-ID lets the recipient tell).
    if (err instanceof DeliveredNotRecordedError) throw err;
    // The send is handed back at once, so the job's retry need not wait for the lease to lapse.
    await releaseClaim(deps.db, claim, { error: String((err as Error).message ?? err) });
    throw err;
  }
}

/** The relay (or the visitor's room) took the reply, but recording it failed even after retries. */
export class DeliveredNotRecordedError extends Error {
  readonly code = 'send_not_recorded';
}

/** Records a delivery that happened: retried briefly, since the alternative is a second delivery. */
async function recordDelivered(deps: SendOutboxDeps, claim: Claim, status: 'sent' | 'logged') {
  for (let attempt = 1; ; attempt++) {
    try {
      return await markDone(deps, claim, status);
    } catch (err) {
      if (attempt >= 5) {
        deps.logger.error(
          { err, outboxId: claim.id },
          'reply delivered but not recorded; it may be sent again when its lease lapses',
        );
        throw new DeliveredNotRecordedError(`outbox ${claim.id} delivered but not recorded`);
      }
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

async function deliver(deps: SendOutboxDeps, claim: Claim): Promise<SendResult> {
  const { row } = claim;
  if (row.channel === 'chat' && deps.chat && row.case_id) {
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
      return { outcome: 'sent', triggerAt: await recordDelivered(deps, claim, 'sent') };
    }
  }
  // Out through the mailbox the row names, else the environment's relay.
  const route = row.mailbox_key && deps.routes ? await deps.routes.route(row.mailbox_key) : null;
  const transport = route ? route.transport : deps.transport;
  const relay = route ? route.relay : deps.relay;
  if (!transport) return { outcome: 'logged', triggerAt: await markDone(deps, claim, 'logged') };
  const ticket = relay?.admit() ?? { go: true as const, probe: false };
  if (!ticket.go) {
    await releaseClaim(deps.db, claim, { uncount: true });
    return { outcome: 'wait', retryInMs: ticket.waitMs };
  }
  try {
    const attachments = await attachmentsOf(deps.db, row);
    await whileLeased(deps, claim, () =>
      transport.send({
        // Through the environment's relay, a reply goes from the environment's address, never another's.
        from: row.mailbox_key && !route ? (deps.supportAddress ?? row.from_address) : row.from_address,
        fromName: row.from_name,
        to: row.to_address,
        replyTo: row.reply_to,
        subject: row.subject,
        text: row.body_text,
        html: row.body_html,
        attachments,
        messageId: row.message_id,
        inReplyTo: row.in_reply_to,
        references: row.references,
        autoSubmitted: autoSubmittedOf(row),
      }),
    );
  } catch (err) {
    if (err instanceof RelayOutageError) {
      const retryInMs = relay?.failed(ticket, err.state, err.message) ?? leaseWaitMaxMs;
      await releaseClaim(deps.db, claim, { error: err.message });
      return { outcome: 'wait', retryInMs };
    }
    // Any other answer came through a working login: the relay itself is fine.
    if ((err as { answer?: unknown }).answer) relay?.passed(ticket);
    else relay?.release(ticket);
    throw err;
  }
  relay?.passed(ticket);
  return { outcome: 'sent', triggerAt: await recordDelivered(deps, claim, 'sent') };
}

/** RFC 3834: an automatic answer is auto-replied; a notice to an agent is auto-generated. */
function autoSubmittedOf(row: ClaimedRow): OutgoingMail['autoSubmitted'] {
  if (row.purpose === 'agent_notification' || row.purpose === 'agent_notice') return 'auto-generated';
  return row.automatic ? 'auto-replied' : null;
}

/** An agent's answer carries the files the agent attached (those kept whole when it was received). */
async function attachmentsOf(db: Db, row: ClaimedRow): Promise<OutgoingAttachment[]> {
  if (row.purpose !== 'agent_reply' || !row.trigger_message_id) return [];
  const rows = await db
    .selectFrom('attachments')
    .select(['filename', 'content_type', 'content'])
    .where('message_id', '=', row.trigger_message_id)
    .where('content', 'is not', null)
    .orderBy('id')
    .execute();
  return rows.map((a) => ({ filename: a.filename, contentType: a.content_type, content: a.content! }));
}

/** Runs the relay call while renewing the lease, so a slow relay's answer still lands inside it. */
async function whileLeased<T>(deps: SendOutboxDeps, claim: Claim, call: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    sql`update outbox set lease_until = now() + make_interval(secs => ${outboxLeaseMs / 1000})
      where id = ${claim.id} and lease_owner = ${claim.owner} and status = 'sending'`
      .execute(deps.db)
      .catch((err) => deps.logger.warn({ err, outboxId: claim.id }, 'outbox lease not renewed'));
  }, leaseRenewMs);
  try {
    return await call();
  } finally {
    clearInterval(timer);
  }
}

/** Claims the sends that are free to take, in one statement under one owner; returns them by id. */
async function claimOutboxes(db: Db, ids: readonly string[]): Promise<Map<string, Claim>> {
  const owner = randomUUID();
  // A row being sent is taken only once its lease has lapsed (its sender died); a failed row only after an
  // admin's retry has made it pending again. Rows are locked in id order, so two claimers never deadlock.
  const rows = (
    await sql<ClaimedRow & { id: string }>`${prepared('outbox_claim_batch')}
      update outbox set status = 'sending', attempts = outbox.attempts + 1, lease_owner = ${owner},
        lease_until = now() + make_interval(secs => ${outboxLeaseMs / 1000}), last_attempt_at = now()
      from (select outbox.id, outbox.last_attempt_at as prev_attempt_at
        from unnest(${ids}::uuid[]) as x(id) join outbox on outbox.id = x.id
        order by outbox.id for update of outbox) prev
      where outbox.id = prev.id
        and (outbox.status = 'pending' or (outbox.status = 'sending' and coalesce(outbox.lease_until < now(), true)))
      returning outbox.id, outbox.case_id, outbox.channel, outbox.message_id, outbox.from_address,
        outbox.to_address, outbox.subject, outbox.body_text, outbox.in_reply_to, outbox."references",
        outbox.automatic, outbox.template_key, outbox.purpose, outbox.reply_to, outbox.from_name, outbox.body_html,
        outbox.trigger_message_id, outbox.mailbox_key, prev.prev_attempt_at,
        (select number from cases where cases.id = outbox.case_id) as case_number`.execute(db)
  ).rows;
  return new Map(rows.map(({ id, ...row }) => [id, { id, owner, row }]));
}

async function unclaimed(db: Db, id: string): Promise<SendResult> {
  const row = await db
    .selectFrom('outbox')
    .select([
      'status',
      sql<number | null>`extract(epoch from lease_until - now()) * 1000`.as('lease_left_ms'),
    ])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return { outcome: 'missing' };
  if (row.status === 'sent' || row.status === 'logged') return { outcome: 'already-sent' };
  if (row.status === 'failed') return { outcome: 'failed-earlier' };
  // Another claim holds it: look again when its lease ends, or sooner in case it is released early.
  const left = Math.ceil(Number(row.lease_left_ms ?? 0));
  return { outcome: 'wait', retryInMs: Math.min(Math.max(left, 250), leaseWaitMaxMs) };
}

/** Hands a claimed send back as pending: after an error, or when the relay is paused (`uncount`). */
async function releaseClaim(db: Db, claim: Claim, opts: { error?: string; uncount?: boolean }) {
  await db
    .updateTable('outbox')
    .set((eb) => ({
      status: 'pending',
      lease_owner: null,
      lease_until: null,
      ...(opts.error === undefined ? {} : { last_error: opts.error.slice(0, 1000) }),
      ...(opts.uncount
        ? { attempts: eb('attempts', '-', 1), last_attempt_at: claim.row.prev_attempt_at }
        : {}),
    }))
    .where('id', '=', claim.id)
    .where('lease_owner', '=', claim.owner)
    .execute();
}

/** Records the relay's acceptance; only the lease's owner can. */
async function markDone(deps: SendOutboxDeps, claim: Claim, status: 'sent' | 'logged'): Promise<Date | null> {
  const row = (
    await sql<{ trigger_at: Date | null }>`${prepared('outbox_done_lease')}
      update outbox set status = ${status}, sent_at = now(), last_error = null, lease_owner = null,
        lease_until = null
      where id = ${claim.id} and lease_owner = ${claim.owner}
      returning (select created_at from messages where messages.id = outbox.trigger_message_id) as trigger_at`.execute(
      deps.db,
    )
  ).rows[0];
  if (!row) {
    // Our lease lapsed and another claim took the send: it will be delivered again, with the same Message-ID.
    deps.logger.warn({ outboxId: claim.id }, 'send recorded by another claim: its lease had lapsed');
    return null;
  }
  return row.trigger_at ?? null;
}

/** Fails a send for good; returns what its log line names, or null when it was not waiting to be sent. */
export async function markOutboxFailed(db: Db, id: string, error: string): Promise<ReplyFacts | null> {
  const row = await db
    .updateTable('outbox')
    .set({ status: 'failed', last_error: error.slice(0, 1000), lease_owner: null, lease_until: null })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returning([
      'channel',
      'template_key',
      (eb) =>
        eb.selectFrom('cases').select('number').whereRef('cases.id', '=', 'outbox.case_id').as('case_number'),
    ])
    .executeTakeFirst();
  if (!row) return null;
  return {
    caseNumber: row.case_number === null ? null : Number(row.case_number),
    template: row.template_key,
    channel: row.channel,
  };
}
