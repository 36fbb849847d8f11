import { performance } from 'node:perf_hooks';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { connectImap, type ImapServerInfo } from '../test/support/mailbox.js';

// The floor: the tightest loop a developer could write for "mail in, row in Postgres, ack out", with the
// same libraries the product uses and none of its guarantees (no dedupe, no queue, no retries, no triage).

export interface FloorProps {
  imap: ImapServerInfo;
  folder: string;
  databaseUrl: string;
  smtpUrl: string;
  supportAddress: string;
  /** Mails in flight at once; the product's WORKER_CONCURRENCY default is 8. */
  concurrency: number;
  /** The product's SMTP pool holds 4 connections; the floor uses the same. */
  smtpConnections: number;
  /** Called when the last mail is done, before connections close (Postgres backends still count CPU). */
  onDone?: () => void;
}

export interface FloorRun {
  /** performance.now() values of the bench process. */
  startedAt: number;
  fetchedAt: number;
  endedAt: number;
  processed: number;
}

const table = 'bench_floor_mails';

export async function runFloor(props: FloorProps): Promise<FloorRun> {
  const pool = new pg.Pool({ connectionString: props.databaseUrl, max: props.concurrency + 2 });
  pool.on('error', () => {});
  const smtp = new URL(props.smtpUrl);
  const transport = nodemailer.createTransport({
    host: smtp.hostname,
    port: Number(smtp.port),
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: props.smtpConnections,
  });
  const imap = connectImap(props.imap);
  try {
    await pool.query(
      `CREATE TABLE IF NOT EXISTS ${table} (
         id bigserial PRIMARY KEY, message_id text, from_address text, subject text, body text,
         attachments int NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`,
    );
    await imap.connect();
    await imap.mailboxOpen(props.folder);

    const startedAt = performance.now();
    const messages = await imap.fetchAll('1:*', { source: true });
    const fetchedAt = performance.now();
    let next = 0;
    let processed = 0;
    const worker = async () => {
      while (next < messages.length) {
        const source = messages[next++]!.source;
        if (!source) continue;
        const mail = await simpleParser(source);
        const from = mail.from?.value[0]?.address ?? '';
        await pool.query(
          `INSERT INTO ${table} (message_id, from_address, subject, body, attachments) VALUES ($1, $2, $3, $4, $5)`,
          [mail.messageId ?? null, from, mail.subject ?? '', mail.text ?? '', mail.attachments.length],
        );
        await transport.sendMail({
          from: props.supportAddress,
          to: from,
          subject: `Re: ${mail.subject ?? ''}`,
          text: `お問い合わせを受け付けました。\n\n件名: ${mail.subject ?? ''}\n担当者より追ってご連絡いたします。`,
          inReplyTo: mail.messageId,
          references: mail.messageId,
          headers: { 'Auto-Submitted': 'auto-replied' },
        });
        processed++;
      }
    };
    await Promise.all(Array.from({ length: props.concurrency }, worker));
    const endedAt = performance.now();
    props.onDone?.();
    return { startedAt, fetchedAt, endedAt, processed };
  } finally {
    transport.close();
    await imap.logout().catch(() => imap.close());
    await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await pool.end().catch(() => {});
  }
}
