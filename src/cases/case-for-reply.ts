import { type RawBuilder, type Selectable, sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { CasesTable, ContactsTable, CustomersTable, PlansTable } from '../db/schema.js';

// The case as a reply needs it: the case, its contact, its customer and the plan that applies (the
// customer's, else the partner's default). One query text, read by triage, by replies outside triage and by
// the rule dry run; each may add columns and joins of its own around it.

type Case = Selectable<CasesTable>;
type Contact = Selectable<ContactsTable>;
type Customer = Selectable<CustomersTable>;
type Plan = Selectable<PlansTable>;
type OrNull<T> = { [K in keyof T]: T[K] | null };

export type CaseForReply = Pick<
  Case,
  | 'number'
  | 'subject'
  | 'status'
  | 'priority'
  | 'category'
  | 'handling'
  | 'channel'
  | 'verified'
  | 'locale'
  | 'due_at'
  | 'tags'
  | 'created_at'
> & {
  contact_email: Contact['email'];
  contact_name: Contact['name'];
  indirect_provider_email: Customer['indirect_provider_email'];
  provider_locale: Customer['provider_locale'];
  tenant_id: Customer['tenant_id'];
  /** The customer's first domain (alphabetically), for a provider's desk. */
  customer_domain: string | null;
  partner_name: string;
  desk_name: string;
  subject_tag: string;
  partner_signature: string;
} & OrNull<{
    customer_id: Customer['id'];
    customer_name: Customer['name'];
    relationship: Customer['relationship'];
    customer_zone: Customer['time_zone'];
    plan_id: Plan['id'];
    plan_name: Plan['name'];
    support_type: Plan['support_type'];
    hours: Plan['hours'];
    contact_methods: Plan['contact_methods'];
    price: Plan['price'];
    response_targets: Plan['response_targets'];
  }>;

/** The select list of a `CaseForReply`, over the aliases `caseForReplyFrom` joins (`c` is the case). */
export const caseForReplyColumns = sql`c.number::text as number, c.subject, c.status, c.priority, c.category,
  c.handling, c.channel, c.verified, c.locale, c.due_at, c.tags, c.created_at,
  ct.email as contact_email, ct.name as contact_name,
  cu.id as customer_id, cu.name as customer_name, cu.relationship, cu.indirect_provider_email,
  cu.provider_locale, cu.tenant_id,
  (select min(domain) from customer_domains where customer_id = cu.id) as customer_domain,
  cu.time_zone as customer_zone, coalesce(pp.name, '') as partner_name,
  coalesce(pp.desk_name, '') as desk_name, coalesce(pp.subject_tag, '[Case #{number}]') as subject_tag,
  coalesce(pp.signature, '') as partner_signature,
  p.id as plan_id, p.name as plan_name, p.support_type, p.hours, p.contact_methods, p.price, p.response_targets`;

/** `<cases> c` with its contact `ct`, customer `cu`, partner profile `pp` and plan `p`. */
export function caseForReplyFrom(cases: RawBuilder<unknown> = sql`cases`): RawBuilder<unknown> {
  return sql`${cases} c
    join contacts ct on ct.id = c.contact_id
    left join customers cu on cu.id = c.customer_id
    left join partner_profile pp on pp.id = 1
    left join plans p on p.id = coalesce(cu.plan_id, pp.default_plan_id)`;
}

export async function readCaseForReply(db: Db, caseId: string): Promise<CaseForReply | undefined> {
  const r = await sql<CaseForReply>`select ${caseForReplyColumns} from ${caseForReplyFrom()}
    where c.id = ${caseId}`.execute(db);
  return r.rows[0];
}
