import pg from 'pg';
import type { ProductUnderTest } from './product.js';
import type { ReceivedMail } from './smtp-sink.js';

// Agents as the tests meet them: created through the API, told of cases by mail, answering with a reply
// to the notification as a mail client writes one.

export interface AgentInput {
  email: string;
  name: string;
  role?: 'agent' | 'admin';
  locale: 'ja' | 'en';
  active?: boolean;
}

export async function addAgent(p: Pick<ProductUnderTest, 'api'>, input: AgentInput): Promise<string> {
  const res = await p.api<{ id: string }>('POST', '/api/agents', { role: 'agent', ...input });
  if (res.status !== 201) throw new Error(`agent not created: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** The number an agent's reply tokens name (not shown by the API). */
export async function agentNumber(p: Pick<ProductUnderTest, 'db'>, email: string): Promise<number> {
  const client = new pg.Client({ connectionString: p.db.url });
  await client.connect();
  try {
    const r = await client.query('select number from agents where lower(email) = lower($1)', [email]);
    return Number(r.rows[0].number);
  } finally {
    await client.end();
  }
}

/** Every mail taken in as answering a notification: its outcome and reason, oldest first. */
export async function agentMails(
  p: Pick<ProductUnderTest, 'db'>,
): Promise<{ outcome: string; reason: string; subject: string }[]> {
  const client = new pg.Client({ connectionString: p.db.url });
  await client.connect();
  try {
    const r = await client.query('select outcome, reason, subject from agent_mails order by created_at, id');
    return r.rows;
  } finally {
    await client.end();
  }
}

/** The notifications the sink received for one agent, oldest first. */
export function notificationsTo(p: Pick<ProductUnderTest, 'sink'>, email: string): ReceivedMail[] {
  return p.sink.messages.filter(
    (m) => m.envelopeTo.includes(email) && m.parsed.headers.get('auto-submitted') === 'auto-generated',
  );
}

export function header(m: ReceivedMail, name: string): string {
  const v = m.parsed.headers.get(name);
  if (v && typeof v === 'object' && 'text' in v) return String((v as { text: string }).text);
  return v === undefined ? '' : String(v);
}

/** The Reply-To address of a notification. */
export function replyToOf(m: ReceivedMail): string {
  return m.parsed.replyTo?.value[0]?.address ?? '';
}

/**
 * A reply to a notification as Outlook writes a plain-text one: the agent's words, then the quoted
 * notification under a From/Sent/To/Subject block.
 */
export function agentReplyMail(o: {
  from: string;
  to: string;
  notification: ReceivedMail;
  body: string;
  messageId: string;
  subject?: string;
  headers?: Record<string, string>;
}): string {
  const n = o.notification;
  const notifId = n.parsed.messageId ?? '';
  const refs = [header(n, 'references'), notifId].filter(Boolean).join(' ');
  const quoted = (n.parsed.text ?? '').split('\n').slice(0, 40).join('\r\n');
  const lines = [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject ?? `RE: ${n.parsed.subject}`}`,
    `Message-ID: ${o.messageId}`,
    'Date: Tue, 01 Dec 2026 10:15:00 +0900',
    `In-Reply-To: ${notifId}`,
    `References: ${refs}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    ...Object.entries(o.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  const body = [
    o.body.replace(/\n/g, '\r\n'),
    '',
    '________________________________',
    `From: ${header(n, 'from')}`,
    'Sent: Tuesday, December 1, 2026 10:00 AM',
    `To: ${o.from}`,
    `Subject: ${n.parsed.subject}`,
    '',
    quoted,
  ].join('\r\n');
  return `${lines.join('\r\n')}\r\n\r\n${body}\r\n`;
}
