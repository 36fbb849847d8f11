import { sql } from 'kysely';
import type { z } from 'zod';
import type { Db } from '../db/database.js';
import type { Customer } from '../db/schema.js';
import { HttpError } from './http-error.js';
import type { customerSchema } from './schemas.js';

// The customer reads and writes behind the customer routes.

export type CustomerInput = z.infer<typeof customerSchema>;

export function customerView(c: Customer, domains: string[]) {
  return {
    id: c.id,
    name: c.name,
    domains,
    relationship: c.relationship,
    indirectProviderEmail: c.indirect_provider_email,
    indirectProviderLocale: c.provider_locale,
    tenantId: c.tenant_id,
    planId: c.plan_id,
    locale: c.locale,
    timeZone: c.time_zone,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
  };
}

export async function domainsOf(db: Db, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!ids.length) return out;
  const rows = await db
    .selectFrom('customer_domains')
    .selectAll()
    .where('customer_id', 'in', ids)
    .orderBy('domain')
    .execute();
  for (const r of rows) out.set(r.customer_id, [...(out.get(r.customer_id) ?? []), r.domain]);
  return out;
}

export async function loadCustomer(db: Db, id: string) {
  const row = await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new HttpError(404, 'not_found', `no customer ${id}`);
  return customerView(row, (await domainsOf(db, [id])).get(id) ?? []);
}

function writeCustomerRow(tx: Db, id: string | null, body: CustomerInput) {
  const values = {
    name: body.name,
    relationship: body.relationship,
    indirect_provider_email: body.indirectProviderEmail?.toLowerCase() ?? null,
    provider_locale: body.indirectProviderLocale ?? null,
    tenant_id: body.tenantId ?? null,
    plan_id: body.planId ?? null,
    locale: body.locale,
    time_zone: body.timeZone,
  };
  return id
    ? tx
        .updateTable('customers')
        .set({ ...values, updated_at: sql`now()` })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow()
    : tx.insertInto('customers').values(values).returningAll().executeTakeFirstOrThrow();
}

async function refuseDomainsOfOthers(tx: Db, customerId: string, domains: string[]) {
  if (!domains.length) return;
  const taken = await tx
    .selectFrom('customer_domains')
    .selectAll()
    .where('domain', 'in', domains)
    .where('customer_id', '!=', customerId)
    .execute();
  if (taken.length) {
    throw new HttpError(
      409,
      'conflict',
      `domains: ${taken.map((t) => t.domain).join(', ')} already belong to another customer`,
    );
  }
}

async function replaceDomains(tx: Db, customerId: string, domains: string[]) {
  await tx.deleteFrom('customer_domains').where('customer_id', '=', customerId).execute();
  if (!domains.length) return;
  await tx
    .insertInto('customer_domains')
    .values(domains.map((domain) => ({ domain, customer_id: customerId })))
    .execute();
  // Contacts who wrote in before their domain was known now belong to the customer.
  await tx
    .updateTable('contacts')
    .set({ customer_id: customerId })
    .where('customer_id', 'is', null)
    .where(sql<string>`split_part(email, '@', 2)`, 'in', domains)
    .execute();
}

/** Writes the customer and its domains in one transaction; a domain owned by another customer is a 409. */
export async function saveCustomer(db: Db, id: string | null, body: CustomerInput) {
  if (body.planId) {
    const plan = await db.selectFrom('plans').select('id').where('id', '=', body.planId).executeTakeFirst();
    if (!plan) throw new HttpError(400, 'validation_failed', `planId: no plan ${body.planId}`);
  }
  return db.transaction().execute(async (tx) => {
    const row = await writeCustomerRow(tx, id, body);
    const domains = [...new Set(body.domains)];
    await refuseDomainsOfOthers(tx, row.id, domains);
    await replaceDomains(tx, row.id, domains);
    return customerView(row, domains.sort());
  });
}
