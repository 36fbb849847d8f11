import iconv from 'iconv-lite';
import type {
  CaseStatus,
  Category,
  Channel,
  Handling,
  Locale,
  Priority,
  Relationship,
  SendStatus,
} from '../../src/vocabulary.js';
import type { ProductUnderTest } from './product.js';

// What tests create through the API (plans, customers, mail) and what they read back (the case view), in one
// place, so a change to a shape is made once.

// ---- plans ----

export interface PlanInput {
  name: string;
  supportType: string;
  hours: {
    timeZone: string;
    always: boolean;
    weekly: Array<{ days: number[]; open: string; close: string }>;
    holidays: string[];
    nationalHolidays?: 'JP' | null;
  };
  contactMethods: Array<{ kind: 'email' | 'phone' | 'chat' | 'web'; value: string }>;
  price:
    | { amount: number; currency: string; unit: 'month' | 'year' | 'incident' | 'hour' }
    | { included: true };
  responseTargets: Partial<Record<Priority, string>>;
}

/** The standard plan: open around the clock, email and phone, 50,000 JPY a month. */
export const standardPlan: PlanInput = {
  name: 'Standard',
  supportType: 'スタンダード サポート (パートナー提供)',
  hours: { timeZone: 'Asia/Tokyo', always: true, weekly: [], holidays: [] },
  contactMethods: [
    { kind: 'email', value: 'support@example.test' },
    { kind: 'phone', value: '03-1234-5678' },
  ],
  price: { amount: 50000, currency: 'JPY', unit: 'month' },
  responseTargets: { urgent: 'PT1H', high: 'PT4H', normal: 'P1D', low: 'P3D' },
};

/** The standard plan with some fields replaced. */
export function planInput(overrides: Partial<PlanInput> = {}): PlanInput {
  return { ...standardPlan, ...overrides };
}

// ---- customers ----

export interface CustomerInput {
  name: string;
  domains: string[];
  relationship: Relationship;
  indirectProviderEmail?: string | null;
  indirectProviderLocale?: Locale | null;
  tenantId?: string | null;
  planId?: string | null;
  locale: Locale;
  timeZone: string;
}

/** A direct customer, Contoso Japan (contoso.co.jp, ja, Tokyo), with some fields replaced. */
export function customerInput(overrides: Partial<CustomerInput> = {}): CustomerInput {
  return {
    name: 'Contoso Japan',
    domains: ['contoso.co.jp'],
    relationship: 'direct',
    locale: 'ja',
    timeZone: 'Asia/Tokyo',
    ...overrides,
  };
}

/** An indirect customer, Fabrikam KK (fabrikam.example, en), served through escalations@provider.example. */
export function indirectCustomerInput(overrides: Partial<CustomerInput> = {}): CustomerInput {
  return customerInput({
    name: 'Fabrikam KK',
    domains: ['fabrikam.example'],
    relationship: 'indirect',
    indirectProviderEmail: 'escalations@provider.example',
    locale: 'en',
    ...overrides,
  });
}

type Api = ProductUnderTest['api'];

async function created(api: Api, path: string, body: unknown): Promise<string> {
  const res = await api<{ id: string }>('POST', path, body);
  if (res.status !== 201) throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** Creates a plan through the API (the standard one with `overrides`); answers its id. */
export function addPlan(p: { api: Api }, overrides: Partial<PlanInput> = {}): Promise<string> {
  return created(p.api, '/api/plans', planInput(overrides));
}

/** Creates a customer through the API; answers its id. */
export function addCustomer(p: { api: Api }, input: CustomerInput): Promise<string> {
  return created(p.api, '/api/customers', input);
}

/** The standard plan and a direct customer, Contoso Japan (contoso.co.jp, ja, Tokyo), through the API. */
export async function addContoso(p: { api: Api }): Promise<{ planId: string; customerId: string }> {
  const planId = await addPlan(p);
  const customerId = await addCustomer(p, customerInput({ planId }));
  return { planId, customerId };
}

// ---- mail ----

export interface MailInput {
  from: string;
  subject: string;
  body: string;
  messageId: string;
  to?: string;
  date?: string;
  /**
   * The body's charset: anything iconv-lite encodes (Shift_JIS, EUC-JP, ...) is sent as base64; iconv-lite has
   * no ISO-2022-JP encoder, such mail comes from the byte-exact fixtures under test/fixtures/mail.
   */
  charset?: string;
  /** Sets In-Reply-To, and References to `references` or else to this id. */
  inReplyTo?: string;
  references?: string[];
  /** Extra headers, after the standard ones, in order. */
  headers?: Record<string, string>;
}

/** A plain mail as a customer's client would write it (CRLF line ends, ready for IMAP APPEND). */
export function mail(opts: MailInput): string {
  const charset = (opts.charset ?? 'utf-8').toLowerCase();
  const utf8 = charset === 'utf-8';
  const lines = [
    `From: ${opts.from}`,
    `To: ${opts.to ?? 'support@example.test'}`,
    `Subject: ${opts.subject}`,
    `Message-ID: ${opts.messageId}`,
    `Date: ${opts.date ?? 'Wed, 25 Nov 2026 10:00:00 +0900'}`,
    'MIME-Version: 1.0',
    `Content-Type: text/plain; charset=${charset}`,
    `Content-Transfer-Encoding: ${utf8 ? '8bit' : 'base64'}`,
  ];
  if (opts.inReplyTo) {
    lines.push(`In-Reply-To: ${opts.inReplyTo}`);
    lines.push(`References: ${(opts.references ?? [opts.inReplyTo]).join(' ')}`);
  } else if (opts.references) lines.push(`References: ${opts.references.join(' ')}`);
  for (const [k, v] of Object.entries(opts.headers ?? {})) lines.push(`${k}: ${v}`);
  const text = opts.body.replace(/\n/g, '\r\n');
  const body = utf8
    ? text
    : (
        iconv
          .encode(text, charset)
          .toString('base64')
          .match(/.{1,76}/g) ?? []
      ).join('\r\n');
  return `${lines.join('\r\n')}\r\n\r\n${body}\r\n`;
}

// ---- the case view ----

/** GET /api/cases/:number, as SPEC describes it (and the few fields the admin adds). */
export interface CaseView {
  number: number;
  subject: string;
  status: CaseStatus;
  priority: Priority;
  category: Category;
  handling: Handling;
  channel: Channel;
  verified: boolean;
  customer: { id: string; name: string } | null;
  contact: { email: string; name: string | null };
  dueAt: string | null;
  duePausedAt: string | null;
  assigneeId: string | null;
  microsoftRequest: { number: string | null; openedAt: string; status: string } | null;
  tags: string[];
  locale: Locale;
  createdAt: string;
  updatedAt: string;
  messages: CaseMessageView[];
  triage: TriageStepView[];
  sends: SendView[];
  escalation: {
    target: string;
    category: string;
    to: string | null;
    status: string;
    reason: string;
    at: string;
  } | null;
}

export interface CaseMessageView {
  id: string;
  direction: 'in' | 'out';
  author: string;
  channel: Channel;
  subject: string | null;
  text: string;
  html: string | null;
  from: string | null;
  messageId: string;
  autoReplyBlocker: string | null;
  agentId: string | null;
  internal: boolean;
  attachments: Array<{
    id: string;
    filename: string;
    contentType: string;
    size: number;
    omittedReason: string | null;
  }>;
  at: string;
}

export interface TriageStepView {
  step: string;
  result: string;
  reason: string;
  at: string;
}

export interface SendView {
  id: string;
  template: string;
  channel: Channel;
  to: string;
  status: SendStatus;
  subject: string;
  messageId: string | null;
  attempts: number;
  error: string | null;
  at: string;
}

/** Triage has decided the reply (or no reply) for the case's latest triaged message. */
export const isTriaged = (c: CaseView): boolean => c.triage.some((t) => t.step === 'reply');

/** Every send of the case has its outcome recorded (the relay gets a mail a moment before its row says so). */
export const sendsSettled = (c: CaseView): boolean =>
  c.sends.every((s) => s.status !== 'pending' && s.status !== 'sending');

/** The case with this number, or null. */
export async function getCase(p: Pick<ProductUnderTest, 'api'>, number: number): Promise<CaseView | null> {
  const res = await p.api<CaseView>('GET', `/api/cases/${number}`);
  return res.status === 200 ? res.body : null;
}

/** The newest case whose subject holds `needle`, or null (looks at the latest 500 cases). */
export async function findCase(p: Pick<ProductUnderTest, 'api'>, needle: string): Promise<CaseView | null> {
  const list = await p.api<{ items: Array<{ number: number; subject: string }> }>(
    'GET',
    '/api/cases?limit=500',
  );
  const hit = list.body.items.find((c) => c.subject.includes(needle));
  return hit ? getCase(p, hit.number) : null;
}

/** Every case whose subject holds `needle` (looks at the latest 500 cases). */
export async function findCases(p: Pick<ProductUnderTest, 'api'>, needle: string): Promise<CaseView[]> {
  const list = await p.api<{ items: Array<{ number: number; subject: string }> }>(
    'GET',
    '/api/cases?limit=500',
  );
  const hits = list.body.items.filter((c) => c.subject.includes(needle));
  const cases = await Promise.all(hits.map((h) => getCase(p, h.number)));
  return cases.filter((c): c is CaseView => c !== null);
}

/**
 * Polls until the case (by number, or by a part of its subject) exists and `until` holds for it; by default
 * until triage has decided its reply.
 */
export function waitForCase(
  p: Pick<ProductUnderTest, 'api' | 'eventually'>,
  which: number | string,
  opts: { until?: (c: CaseView) => boolean; timeoutMs?: number; what?: string } = {},
): Promise<CaseView> {
  const until = opts.until ?? isTriaged;
  return p.eventually(
    async () => {
      const c = typeof which === 'number' ? await getCase(p, which) : await findCase(p, which);
      return c && until(c) ? c : null;
    },
    opts.timeoutMs ?? 15_000,
    opts.what ?? `case ${typeof which === 'number' ? `#${which}` : `"${which}"`} to be triaged`,
  );
}
