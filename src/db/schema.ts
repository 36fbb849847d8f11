import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type {
  AgentRole,
  CaseStatus,
  Category,
  Channel,
  Handling,
  Locale,
  Priority,
  Relationship,
} from '../vocabulary.js';

// Table types written by hand to match migrations/; test/integration/schema-types.test.ts holds the two in step.

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A time the database has no default for: every insert gives it. */
type RequiredTimestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface HoursWeekly {
  days: number[];
  open: string;
  close: string;
}
export interface PlanHours {
  timeZone: string;
  always: boolean;
  weekly: HoursWeekly[];
  holidays: string[];
  nationalHolidays?: string | null;
}
export interface ContactMethod {
  kind: 'email' | 'phone' | 'chat' | 'web';
  value: string;
}
export type PlanPrice =
  | {
      amount: number;
      currency: string;
      unit: 'month' | 'year' | 'incident' | 'hour';
      /** Whether the amount includes consumption tax (税込) or not (税別); unsaid when absent. */
      taxIncluded?: boolean;
    }
  | { included: true };
export type ResponseTargets = Partial<Record<'urgent' | 'high' | 'normal' | 'low', string>>;

export interface SettingsTable {
  key: string;
  value: string;
}
export interface PlansTable {
  id: Generated<string>;
  name: string;
  support_type: string;
  hours: Json<PlanHours>;
  contact_methods: Json<ContactMethod[]>;
  price: Json<PlanPrice>;
  response_targets: Json<ResponseTargets>;
  created_at: Timestamp;
  updated_at: Timestamp;
}
export interface PartnerProfileTable {
  id: number;
  name: string;
  default_plan_id: string | null;
  /** The From display name of mail to customers; SUPPORT_ADDRESS's own name when empty. */
  desk_name: Generated<string>;
  /** The case tag in subjects, with `{number}` for the case number. */
  subject_tag: Generated<string>;
  /** The signature block templates end with (`partner.signature`). */
  signature: Generated<string>;
  updated_at: Timestamp;
}
export interface CustomersTable {
  id: Generated<string>;
  name: string;
  relationship: 'direct' | 'indirect';
  indirect_provider_email: string | null;
  plan_id: string | null;
  locale: Generated<string>;
  time_zone: Generated<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** The customer's Microsoft Entra tenant (a GUID or its onmicrosoft.com name). */
  tenant_id: string | null;
  /** The language of the indirect provider's desk; the customer's own when null. */
  provider_locale: Locale | null;
}
export interface CustomerDomainsTable {
  domain: string;
  customer_id: string;
}
export interface ContactsTable {
  id: Generated<string>;
  email: string;
  name: string | null;
  customer_id: string | null;
  created_at: Timestamp;
}
export interface CasesTable {
  id: Generated<string>;
  number: ColumnType<string, never, never>;
  subject: string;
  status: Generated<CaseStatus>;
  priority: Generated<Priority>;
  category: Generated<Category>;
  handling: Generated<Handling>;
  channel: Channel;
  verified: boolean;
  customer_id: string | null;
  contact_id: string;
  locale: Locale;
  due_at: Timestamp | null;
  tags: Generated<string[]>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** The one agent told of the case; null: every active agent. */
  assignee_id: string | null;
  /** Microsoft's service-request number, when the case was handed to Microsoft. */
  microsoft_request_number: string | null;
  microsoft_request_opened_at: Timestamp | null;
  microsoft_request_status: 'open' | 'answered' | 'closed' | null;
  /** Since when the response-due clock stands still (the case waits on Microsoft). */
  due_paused_at: Timestamp | null;
}
export interface OmittedPart {
  filename: string;
  contentType: string;
  size: number;
}
export interface RawMailsTable {
  id: Generated<string>;
  mailbox_key: string;
  /** IMAP: the mailbox's UIDVALIDITY and the mail's UID; null for a mail read through Graph. */
  uid_validity: string | null;
  uid: string | null;
  /** Graph: the message's (immutable) id in the mailbox; null for IMAP. */
  remote_id: string | null;
  bytes: Buffer;
  size: number;
  state: Generated<'received' | 'ingested' | 'duplicate' | 'quarantined' | 'agent_mail'>;
  /** In the mailbox before the intake first read it: taken as a case, never auto-answered. */
  backlog: Generated<boolean>;
  /** Larger than MAIL_MAX_BYTES: only the headers and first text part are stored; `size` is the real size. */
  cut: Generated<boolean>;
  /** Of a cut mail, the parts left in the mailbox. */
  omitted_parts: ColumnType<OmittedPart[], string | undefined, string>;
  received_at: Timestamp;
  processed_at: Timestamp | null;
}
export interface MessagesTable {
  id: Generated<string>;
  case_id: string;
  direction: 'in' | 'out';
  author: 'customer' | 'agent' | 'system';
  channel: string;
  subject: string | null;
  text: string;
  full_text: string | null;
  html: string | null;
  from_address: string | null;
  from_name: string | null;
  mailbox_key: string | null;
  message_id: string | null;
  in_reply_to: string | null;
  references: Generated<string[]>;
  raw_mail_id: string | null;
  client_id: string | null;
  auto_reply_blocker: string | null;
  /** Why the receiving server did not vouch for the sender; null when it did or said nothing. */
  sender_unproven: string | null;
  /** The agent who wrote it (an answer or a note). */
  agent_id: string | null;
  /** An agent's note: never sent to the customer. */
  internal: Generated<boolean>;
  created_at: Timestamp;
}
export interface AttachmentsTable {
  id: Generated<string>;
  message_id: string;
  filename: string;
  content_type: string;
  size: number;
  content: Buffer | null;
  omitted_reason: string | null;
}
export interface QuarantineTable {
  id: Generated<string>;
  raw_mail_id: string | null;
  source: string;
  code: string;
  reason: string;
  created_at: Timestamp;
}
export interface MailboxStateTable {
  mailbox_key: string;
  uid_validity: string;
  last_uid: string;
  /** Mail up to this UID that is older than `backlog_before` was in the mailbox before the intake came. */
  backlog_up_to: Generated<string>;
  backlog_before: Timestamp | null;
  updated_at: Timestamp;
}
/** A service Microsoft 365 service health names (Graph `healthOverviews`) and its state when last read. */
export interface ServiceOverviewsTable {
  id: string;
  service: string;
  /** `serviceOperational`, `serviceDegradation`, `serviceInterruption`, ... as Graph says it. */
  status: string;
  updated_at: Generated<Date>;
}
/** An alias an admin added to the service catalogue; `alias_key` is the alias as matched. */
export interface ServiceAliasesTable {
  alias_key: string;
  alias: string;
  service_id: string;
  actor: string;
  created_at: Generated<Date>;
}
/** A change an agent or admin made to a case's category or handling, with what triage read and said. */
export interface TriageCorrectionsTable {
  id: Generated<string>;
  case_id: string;
  case_number: string;
  actor: string;
  via: 'mail' | 'api';
  from_category: string;
  to_category: string;
  from_handling: string;
  to_handling: string;
  category_corrected: boolean;
  handling_corrected: boolean;
  /** The rule that set the category the change corrected; null when no rule did. */
  rule_id: string | null;
  subject: string;
  body: string;
  channel: Channel;
  locale: Locale;
  relationship: Relationship | null;
  verified: boolean;
  incident_ids: Generated<string[]>;
  created_at: Generated<Date>;
}
/** A mailbox an admin added (`/api/mailboxes`); the environment's own mailbox is not stored. */
export interface MailboxesTable {
  id: Generated<string>;
  name: string;
  address: string;
  kind: 'imap' | 'graph';
  /** Without password: it is in `sealed_secrets`. */
  imap_url: string | null;
  smtp_url: string | null;
  /** The passwords, sealed with SECRET_KEY (AES-256-GCM). */
  sealed_secrets: string | null;
  /** The locale of a new customer first met through this mailbox. */
  locale: 'ja' | 'en' | null;
  enabled: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
/** Where the Graph intake of a mailbox stands: the link to read next (a page of the first sync, or a delta). */
export interface GraphSyncStateTable {
  mailbox_key: string;
  link: string | null;
  /** The first sync (or a resync) is still running: its old mail is backlog. */
  initial: Generated<boolean>;
  /** Mail received before this, met during the first sync, was in the mailbox before the intake came. */
  backlog_before: Timestamp | null;
  updated_at: Timestamp;
}
export interface TriageRecordsTable {
  id: Generated<string>;
  case_id: string;
  message_id: string | null;
  step: string;
  result: string;
  reason: string;
  created_at: Timestamp;
}
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'logged' | 'failed';
export interface OutboxTable {
  id: Generated<string>;
  /** Null only for a notice to an agent about mail that named no case. */
  case_id: string | null;
  trigger_message_id: string | null;
  purpose: string;
  template_key: string | null;
  locale: string | null;
  channel: string;
  automatic: boolean;
  to_address: string;
  from_address: string;
  subject: string;
  body_text: string;
  /** The plan facts the reply stated when composed (`type,hours,contactMethods,price`); null if unknown. */
  facts_stated: string | null;
  message_id: string;
  in_reply_to: string | null;
  references: Generated<string[]>;
  status: Generated<OutboxStatus>;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: Timestamp | null;
  /** Who holds the send (one claim), while `status` is `sending`. */
  lease_owner: string | null;
  /** Until when the lease holds; after it, another claimer may send. */
  lease_until: Timestamp | null;
  last_attempt_at: Timestamp | null;
  /** The agent a notification or notice goes to. */
  agent_id: string | null;
  reply_to: string | null;
  /** The display name of From (a notification shows the customer's); none when null. */
  from_name: string | null;
  /** An HTML alternative to body_text (agent notifications). */
  body_html: string | null;
  /** The mailbox it goes out through (`mailbox:<id>`); null: the environment's. */
  mailbox_key: string | null;
}
export interface TemplatesTable {
  id: Generated<string>;
  key: string;
  locale: string;
  version: number;
  subject: string;
  body: string;
  created_by: string;
  created_at: Timestamp;
}
export interface AuditLogTable {
  id: Generated<string>;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
  at: Timestamp;
}

export interface Database {
  settings: SettingsTable;
  plans: PlansTable;
  partner_profile: PartnerProfileTable;
  customers: CustomersTable;
  customer_domains: CustomerDomainsTable;
  contacts: ContactsTable;
  cases: CasesTable;
  raw_mails: RawMailsTable;
  messages: MessagesTable;
  attachments: AttachmentsTable;
  quarantine: QuarantineTable;
  mailbox_state: MailboxStateTable;
  graph_sync_state: GraphSyncStateTable;
  mailboxes: MailboxesTable;
  service_overviews: ServiceOverviewsTable;
  service_aliases: ServiceAliasesTable;
  triage_corrections: TriageCorrectionsTable;
  triage_records: TriageRecordsTable;
  outbox: OutboxTable;
  templates: TemplatesTable;
  audit_log: AuditLogTable;
  rule_sets: RuleSetsTable;
  incidents: IncidentsTable;
  escalations: EscalationsTable;
  chat_sessions: ChatSessionsTable;
  auto_reply_hours: AutoReplyHoursTable;
  agents: AgentsTable;
  agent_mails: AgentMailsTable;
  template_failures: TemplateFailuresTable;
}

/** A template version that failed to render when a reply was due (stored key: `ack` or `chat/ack`). */
export interface TemplateFailuresTable {
  key: string;
  locale: string;
  version: number;
  error: string;
  count: Generated<number>;
  first_at: Generated<Date>;
  last_at: Generated<Date>;
}

/** Mail to a reply address that did not become an answer (and the answers, for the record). */
export interface AgentMailsTable {
  id: Generated<string>;
  raw_mail_id: string | null;
  outcome: 'answered' | 'rejected' | 'dropped';
  reason: string;
  detail: Generated<string>;
  from_address: string | null;
  subject: Generated<string>;
  message_id: string | null;
  agent_id: string | null;
  case_id: string | null;
  /** Whether the agent was sent a notice about it. */
  told: Generated<boolean>;
  created_at: Generated<Date>;
}

/** The partner's agents (role admin: they also sign in to the web admin). */
export interface AgentsTable {
  id: Generated<string>;
  /** Names the agent in reply tokens. */
  number: ColumnType<string, never, never>;
  email: string;
  name: string;
  role: AgentRole;
  active: Generated<boolean>;
  locale: Locale;
  /** argon2id; null: the agent cannot sign in to the web admin. */
  password_hash: string | null;
  /** Sessions made under an older version are void (sign-out, a new password). */
  session_version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Automatic mail replies sent in one clock hour, to all senders together. */
export interface AutoReplyHoursTable {
  hour: Date;
  sent: number;
  /** Replies the cap held back in that hour. */
  held: Generated<number>;
}

export interface ChatSessionsTable {
  id: Generated<string>;
  contact_id: string;
  case_id: string | null;
  verified: boolean;
  email: string | null;
  name: string | null;
  locale: Generated<string>;
  connections: Generated<number>;
  last_seen_at: Generated<Date>;
  transcript_sent_at: Date | null;
  created_at: Generated<Date>;
}

export interface RuleSetsTable {
  version: Generated<string>;
  rules: Json<unknown[]>;
  note: string;
  actor: string;
  created_at: Generated<Date>;
}
export interface IncidentsTable {
  id: string;
  service: string;
  service_id: string | null;
  title: string;
  status: string;
  active: boolean;
  regions: Generated<string[]>;
  started_at: RequiredTimestamp;
  updated_at: RequiredTimestamp;
  link: string | null;
  source: Generated<string>;
  created_at: Generated<Date>;
}
export interface EscalationsTable {
  id: Generated<string>;
  case_id: string;
  category: string;
  target: 'microsoft' | 'indirect_provider';
  to_address: string | null;
  status: Generated<string>;
  reason: string;
  created_at: Generated<Date>;
}

export type Plan = Selectable<PlansTable>;
export type Customer = Selectable<CustomersTable>;
export type CaseRow = Selectable<CasesTable>;
export type MessageRow = Selectable<MessagesTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type NewOutbox = Insertable<OutboxTable>;
