import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { composeReply } from '../replies/compose-reply.js';
import type { RenderSandbox } from '../replies/render-sandbox.js';
import type { ReplyContext } from '../replies/reply-context.js';
import type { TemplateStore } from '../replies/template-store.js';
import type { TriageSend } from '../triage/triage-write.js';
import type { Locale } from '../vocabulary.js';
import { notificationHtml } from './notification-html.js';
import { notificationRoot } from './notification-ids.js';
import { visibleReplyMarker } from './reply-marker.js';
import { issueReplyToken, replyAddress } from './reply-token.js';

// Each active agent (or the case's assignee alone) is told of a new case and of each new customer message: a
// mail from the support address whose Reply-To carries a token naming the case and the agent. The mails of
// one case thread together in the agent's client under one root Message-ID.

export interface AgentToTell {
  id: string;
  number: string;
  email: string;
  name: string;
  locale: Locale;
}

export interface NotifyDeps {
  templates: Pick<TemplateStore, 'get' | 'earlier' | 'recordFailure'>;
  sandbox: RenderSandbox;
  logger: Logger;
  metrics?: Pick<Metrics, 'templateFallbacks'>;
  supportAddress: string;
  /** The keys reply tokens are signed with (the first signs). */
  replyKeys: readonly string[];
  replyTokenDays: number;
}

// Triage asks for the active agents on every batch; a change of who is active shows within this long.
const rosterTtlMs = 2_000;
const rosters = new WeakMap<Db, { at: number; agents: Promise<AgentToTell[]> }>();

/** The active agents, in number order, filtered per case by `recipients`; reused for up to 2 s. */
export function activeAgents(db: Db): Promise<AgentToTell[]> {
  const cached = rosters.get(db);
  if (cached && Date.now() - cached.at < rosterTtlMs) return cached.agents;
  const agents = readActiveAgents(db);
  rosters.set(db, { at: Date.now(), agents });
  // A failed read is not kept: the next batch asks again.
  agents.catch(() => rosters.delete(db));
  return agents;
}

async function readActiveAgents(db: Db): Promise<AgentToTell[]> {
  const rows = await db
    .selectFrom('agents')
    .select(['id', 'number', 'email', 'name', 'locale'])
    .where('active', '=', true)
    .orderBy('number')
    .execute();
  return rows.map((r) => ({ ...r, number: String(r.number) }));
}

/** Who hears of a case: its assignee when that agent is active, else every active agent. */
export function recipients(agents: readonly AgentToTell[], assigneeId: string | null): AgentToTell[] {
  const assignee = assigneeId ? agents.find((a) => a.id === assigneeId) : undefined;
  return assignee ? [assignee] : [...agents];
}

/** The notifications of one customer message, one per agent, rendered in each agent's language. */
export async function renderNotifications(
  deps: NotifyDeps,
  n: {
    caseNumber: string;
    agents: readonly AgentToTell[];
    /** The case's reply context in a locale, with the agent's name filled in. */
    contextFor: (locale: Locale, agent: AgentToTell) => ReplyContext;
    /** Who the mail says it is from: the customer, by name. */
    fromName: string;
    now: Date;
  },
): Promise<TriageSend[]> {
  const domain = deps.supportAddress.slice(deps.supportAddress.lastIndexOf('@') + 1);
  const root = notificationRoot(deps.supportAddress, n.caseNumber);
  const expiresAt = new Date(n.now.getTime() + deps.replyTokenDays * 86_400_000);
  const sends: TriageSend[] = [];
  for (const agent of n.agents) {
    const mail = await composeReply(
      deps,
      'agent_notification',
      agent.locale,
      n.contextFor(agent.locale, agent),
    );
    const token = issueReplyToken(deps.replyKeys, {
      caseNumber: Number(n.caseNumber),
      agentNumber: Number(agent.number),
      expiresAt,
    });
    sends.push({
      purpose: 'agent_notification',
      template_key: 'agent_notification',
      locale: agent.locale,
      channel: 'email',
      automatic: true,
      agent_id: agent.id,
      to_address: agent.email,
      from_address: deps.supportAddress,
      from_name: n.fromName,
      reply_to: replyAddress(deps.supportAddress, token),
      subject: mail.subject,
      body_text: `${visibleReplyMarker}\n\n${mail.text}`,
      body_html: notificationHtml(mail.text),
      message_id: `<case-${n.caseNumber}.notify.${randomUUID()}@${domain}>`,
      in_reply_to: root,
      references: [root],
    });
  }
  return sends;
}
