import type { CaseSnapshot, CaseSummaryRow } from './case-view-repository.js';

// Pure mappers from the rows read in case-view-repository.ts to the shapes the case API returns.

export function caseSummaryView(r: CaseSummaryRow) {
  return {
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
    /** While the case waits on Microsoft, its response-due clock stands still from this time. */
    duePausedAt: r.due_paused_at,
    assigneeId: r.assignee_id,
    assignee: r.assignee_email ? { email: r.assignee_email, name: r.assignee_name } : null,
    microsoftRequest: r.microsoft_request_status
      ? {
          number: r.microsoft_request_number,
          openedAt: r.microsoft_request_opened_at,
          status: r.microsoft_request_status,
        }
      : null,
    tags: r.tags,
    locale: r.locale,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

type MessageRow = CaseSnapshot['messages'][number];
type AttachmentRow = CaseSnapshot['attachments'][number];
type SendRow = CaseSnapshot['sends'][number];
type EscalationRow = NonNullable<CaseSnapshot['escalation']>;

function attachmentView(a: AttachmentRow) {
  return {
    id: a.id,
    filename: a.filename,
    contentType: a.content_type,
    size: a.size,
    omittedReason: a.omitted_reason,
  };
}

function messageView(m: MessageRow, attachments: AttachmentRow[]) {
  return {
    id: m.id,
    direction: m.direction,
    author: m.author,
    channel: m.channel,
    subject: m.subject,
    text: m.text,
    html: m.html,
    from: m.from_address,
    fromName: m.from_name,
    messageId: m.message_id,
    autoReplyBlocker: m.auto_reply_blocker,
    agentId: m.agent_id,
    internal: m.internal,
    attachments: attachments.filter((a) => a.message_id === m.id).map(attachmentView),
    at: m.created_at,
  };
}

function sendView(s: SendRow) {
  return {
    id: s.id,
    template: s.template_key,
    purpose: s.purpose,
    channel: s.channel,
    to: s.to_address,
    status: s.status,
    subject: s.subject,
    messageId: s.message_id,
    attempts: s.attempts,
    error: s.last_error,
    at: s.sent_at ?? s.created_at,
  };
}

function escalationView(e: EscalationRow) {
  return {
    target: e.target,
    category: e.category,
    to: e.to_address,
    status: e.status,
    reason: e.reason,
    at: e.created_at,
  };
}

export function caseDetailView(s: CaseSnapshot) {
  return {
    ...caseSummaryView(s.row),
    messages: s.messages.map((m) => messageView(m, s.attachments)),
    triage: s.triage.map((t) => ({ step: t.step, result: t.result, reason: t.reason, at: t.created_at })),
    sends: s.sends.map(sendView),
    escalation: s.escalation ? escalationView(s.escalation) : null,
  };
}
