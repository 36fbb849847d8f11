import { type Kysely, sql } from 'kysely';

// Proven senders and the overall cap on automatic replies.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Why the partner's receiving server did not vouch for the sender of an inbound mail (null: it did, or
  // there was nothing to go by). Triage reads it to treat the message as from an unknown sender.
  await sql`alter table messages add column sender_unproven text`.execute(db);
  // Automatic mail replies per clock hour, to all senders together (sent), and those the cap held back
  // (held): one row per hour, counted up in the transaction that writes the reply, so that concurrent
  // triage jobs never pass the cap together.
  await sql`create table auto_reply_hours (hour timestamptz primary key, sent integer not null,
    held integer not null default 0)`.execute(db);
}
