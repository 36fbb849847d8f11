import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { z } from 'zod';
import type { Db } from '../db/database.js';
import type { Customer } from '../db/schema.js';
import type { PrincipalOf } from './api-scope.js';
import { audit } from './audit.js';
import { HttpError, parseInput } from './http-error.js';
import { customerSchema, idParam, objectBody } from './schemas.js';

type CustomerInput = z.infer<typeof customerSchema>;

function customerView(c: Customer, domains: string[]) {
  return {
    id: c.id,
    name: c.name,
    domains,
    relationship: c.relationship,
    indirectProviderEmail: c.indirect_provider_email,
    planId: c.plan_id,
    locale: c.locale,
    timeZone: c.time_zone,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
  };
}

async function domainsOf(db: Db, ids: string[]): Promise<Map<string, string[]>> {
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

export function customerRoutes(app: FastifyInstance, db: Db, principal: PrincipalOf) {
  const load = async (id: string) => {
    const row = await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new HttpError(404, 'not_found', `no customer ${id}`);
    return customerView(row, (await domainsOf(db, [id])).get(id) ?? []);
  };

  /** Writes the customer and its domains in one transaction; a domain owned by another customer is a 409. */
  const save = async (id: string | null, body: CustomerInput) => {
    if (body.planId) {
      const plan = await db.selectFrom('plans').select('id').where('id', '=', body.planId).executeTakeFirst();
      if (!plan) throw new HttpError(400, 'validation_failed', `planId: no plan ${body.planId}`);
    }
    return db.transaction().execute(async (tx) => {
      const values = {
        name: body.name,
        relationship: body.relationship,
        indirect_provider_email: body.indirectProviderEmail?.toLowerCase() ?? null,
        plan_id: body.planId ?? null,
        locale: body.locale,
        time_zone: body.timeZone,
      };
      const row = id
        ? await tx
            .updateTable('customers')
            .set({ ...values, updated_at: sql`now()` })
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirstOrThrow()
        : await tx.insertInto('customers').values(values).returningAll().executeTakeFirstOrThrow();
      const domains = [...new Set(body.domains)];
      if (domains.length) {
        const taken = await tx
          .selectFrom('customer_domains')
          .selectAll()
          .where('domain', 'in', domains)
          .where('customer_id', '!=', row.id)
          .execute();
        if (taken.length) {
          throw new HttpError(
            409,
            'conflict',
            `domains: ${taken.map((t) => t.domain).join(', ')} already belong to another customer`,
          );
        }
      }
      await tx.deleteFrom('customer_domains').where('customer_id', '=', row.id).execute();
      if (domains.length) {
        await tx
          .insertInto('customer_domains')
          .values(domains.map((domain) => ({ domain, customer_id: row.id })))
          .execute();
        // Contacts who wrote in before their domain was known now belong to the customer.
        await tx
          .updateTable('contacts')
          .set({ customer_id: row.id })
          .where('customer_id', 'is', null)
          .where(sql<string>`split_part(email, '@', 2)`, 'in', domains)
          .execute();
      }
      return customerView(row, domains.sort());
    });
  };

  app.get('/api/customers', async () => {
    const rows = await db.selectFrom('customers').selectAll().orderBy('created_at').execute();
    const domains = await domainsOf(
      db,
      rows.map((r) => r.id),
    );
    return { items: rows.map((r) => customerView(r, domains.get(r.id) ?? [])) };
  });

  app.get('/api/customers/:id', async (req) => load(parseInput(idParam, req.params).id));

  app.post('/api/customers', async (req, reply) => {
    const body = parseInput(customerSchema, req.body);
    const view = await save(null, body);
    await audit(db, {
      actor: principal(req).actor,
      action: 'create',
      entity: 'customer',
      entityId: view.id,
      after: body,
    });
    return reply.status(201).send(view);
  });

  const update = async (req: { params: unknown; body: unknown }, partial: boolean) => {
    const { id } = parseInput(idParam, req.params);
    const before = await load(id);
    // PATCH merges onto the stored customer, then the whole is validated as on create.
    const patch = partial ? parseInput(objectBody, req.body) : {};
    const body = parseInput(customerSchema, partial ? { ...before, ...patch } : req.body);
    const view = await save(id, body);
    await audit(db, {
      actor: principal(req).actor,
      action: 'update',
      entity: 'customer',
      entityId: id,
      before,
      after: body,
    });
    return view;
  };
  app.put('/api/customers/:id', (req) => update(req, false));
  app.patch('/api/customers/:id', (req) => update(req, true));

  app.delete('/api/customers/:id', async (req, reply) => {
    const { id } = parseInput(idParam, req.params);
    const before = await load(id);
    await db.deleteFrom('customers').where('id', '=', id).execute();
    await audit(db, {
      actor: principal(req).actor,
      action: 'delete',
      entity: 'customer',
      entityId: id,
      before,
    });
    return reply.status(204).send();
  });
}
