import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import type { Queues } from '../../pipeline/queues.js';
import { caseReplyContext } from '../../replies/case-context.js';
import { composeReply, newMessageId } from '../../replies/compose-reply.js';
import { enqueueSends, insertSend } from '../../replies/outbox.js';
import { formatDateTime } from '../../replies/plan-facts.js';
import type { RenderSandbox } from '../../replies/render-sandbox.js';
import type { TemplateStore } from '../../replies/template-store.js';
import { expireChatSessions } from './chat-store.js';

// A visitor who left the chat before an agent answered gets the unread answers and the conversation by
// email (verified visitors only: an address nobody proved is never mailed).

export interface TranscriptSweeperProps {
  db: Db;
  queues: Queues;
  logger: Logger;
  templates: TemplateStore;
  sandbox: RenderSandbox;
  supportAddress: string;
  afterSeconds: number;
  /** Sessions unused this long are removed (checked about once an hour). */
  sessionIdleDays?: number;
}

const authorLabel = {
  ja: { customer: 'お客様', agent: 'サポート担当', system: '自動応答' },
  en: { customer: 'You', agent: 'Support', system: 'Automatic reply' },
} as const;

export class TranscriptSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private expiredAt = 0;

  constructor(private readonly props: TranscriptSweeperProps) {}

  start(): void {
    const every = Math.min(30, Math.max(1, Math.floor(this.props.afterSeconds / 3))) * 1000;
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .then(() => this.expireSessions())
        .catch((err) =>
          this.props.logger.warn({ component: 'chat-transcripts', err }, 'transcript sweep failed'),
        )
        .finally(() => {
          this.running = null;
        });
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async expireSessions(): Promise<void> {
    const days = this.props.sessionIdleDays;
    if (!days || Date.now() - this.expiredAt < 3600_000) return;
    this.expiredAt = Date.now();
    const removed = await expireChatSessions(this.props.db, days);
    if (removed)
      this.props.logger.info({ component: 'chat-sessions', removed }, 'unused chat sessions expired');
  }

  /** One pass: every visitor gone long enough with agent answers they have not seen. */
  async sweep(now = new Date()): Promise<number> {
    const { db } = this.props;
    const due = await sql<{ id: string }>`
      select s.id from chat_sessions s
      where s.verified and s.email is not null and s.case_id is not null
        and (s.connections = 0 or s.last_seen_at < now() - interval '90 seconds')
        and s.last_seen_at < now() - make_interval(secs => ${this.props.afterSeconds})
        and exists (select 1 from messages m where m.case_id = s.case_id and m.direction = 'out'
          and m.author = 'agent' and m.created_at > s.last_seen_at
          and m.created_at > coalesce(s.transcript_sent_at, '-infinity'))
      limit 100`.execute(db);
    let sent = 0;
    for (const { id } of due.rows) {
      const outboxId = await this.mailOne(id, now);
      if (outboxId) {
        await enqueueSends(this.props.queues, [outboxId]);
        sent++;
      }
    }
    return sent;
  }

  private async mailOne(sessionId: string, now: Date): Promise<string | null> {
    return this.props.db.transaction().execute(async (tx) => {
      const s = await tx
        .selectFrom('chat_sessions')
        .selectAll()
        .where('id', '=', sessionId)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!s?.case_id || !s.email) return null;
      const lines = await tx
        .selectFrom('messages')
        .select(['id', 'direction', 'author', 'text', 'created_at'])
        .where('case_id', '=', s.case_id)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      const unread = lines.filter(
        (m) =>
          m.direction === 'out' &&
          m.author === 'agent' &&
          new Date(m.created_at) > new Date(s.last_seen_at) &&
          (!s.transcript_sent_at || new Date(m.created_at) > new Date(s.transcript_sent_at)),
      );
      const last = unread.at(-1);
      if (!last) return null;
      const { context, locale, zone, caseNumber } = await caseReplyContext(
        tx,
        s.case_id,
        this.props.supportAddress,
        now,
        { contactName: s.name },
      );
      const labels = authorLabel[locale];
      context.chat.transcript = lines
        .slice(-200)
        .map((m) => {
          const who =
            m.direction === 'in' ? labels.customer : m.author === 'agent' ? labels.agent : labels.system;
          return `[${formatDateTime(new Date(m.created_at), locale, zone)}] ${who}:\n${m.text}`;
        })
        .join('\n\n');
      const mail = await composeReply(this.props, 'chat_transcript', locale, context);
      const outboxId = await insertSend(tx, {
        case_id: s.case_id,
        trigger_message_id: last.id,
        purpose: 'chat_transcript',
        template_key: 'chat_transcript',
        locale,
        channel: 'email',
        automatic: true,
        to_address: s.email,
        from_address: this.props.supportAddress,
        subject: mail.subject,
        body_text: mail.text,
        facts_stated: mail.factsStated,
        message_id: newMessageId(this.props.supportAddress, caseNumber),
        in_reply_to: null,
        references: [],
      });
      // Covered up to the newest answer actually in this mail (database time, like created_at).
      await tx
        .updateTable('chat_sessions')
        .set({ transcript_sent_at: last.created_at })
        .where('id', '=', s.id)
        .execute();
      return outboxId;
    });
  }
}
