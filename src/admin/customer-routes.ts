import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/database.js';
import type { PrincipalOf } from './api-scope.js';
import { audit } from './audit.js';
import { customerView, domainsOf, loadCustomer, saveCustomer } from './customer-store.js';
import { parseInput } from './http-error.js';
import { customerSchema, idParam, objectBody } from './schemas.js';

interface CustomerRouteDeps {
  db: Db;
  principal: PrincipalOf;
}

async function listCustomers(db: Db) {
  const rows = await db.selectFrom('customers').selectAll().orderBy('created_at').execute();
  const domains = await domainsOf(
    db,
    rows.map((r) => r.id),
  );
  return { items: rows.map((r) => customerView(r, domains.get(r.id) ?? [])) };
}

async function createCustomer(deps: CustomerRouteDeps, req: FastifyRequest, reply: FastifyReply) {
  const body = parseInput(customerSchema, req.body);
  const view = await saveCustomer(deps.db, null, body);
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'create',
    entity: 'customer',
    entityId: view.id,
    after: body,
  });
  return reply.status(201).send(view);
}

async function updateCustomer(deps: CustomerRouteDeps, req: FastifyRequest, partial: boolean) {
  const { id } = parseInput(idParam, req.params);
  const before = await loadCustomer(deps.db, id);
  // PATCH merges onto the stored customer, then the whole is validated as on create.
  const patch = partial ? parseInput(objectBody, req.body) : {};
  const body = parseInput(customerSchema, partial ? { ...before, ...patch } : req.body);
  const view = await saveCustomer(deps.db, id, body);
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'update',
    entity: 'customer',
    entityId: id,
    before,
    after: body,
  });
  return view;
}

async function deleteCustomer(deps: CustomerRouteDeps, req: FastifyRequest, reply: FastifyReply) {
  const { id } = parseInput(idParam, req.params);
  const before = await loadCustomer(deps.db, id);
  await deps.db.deleteFrom('customers').where('id', '=', id).execute();
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'delete',
    entity: 'customer',
    entityId: id,
    before,
  });
  return reply.status(204).send();
}

export function customerRoutes(app: FastifyInstance, db: Db, principal: PrincipalOf) {
  const deps: CustomerRouteDeps = { db, principal };
  app.get('/api/customers', () => listCustomers(db));
  app.get('/api/customers/:id', async (req) => loadCustomer(db, parseInput(idParam, req.params).id));
  app.post('/api/customers', (req, reply) => createCustomer(deps, req, reply));
  app.put('/api/customers/:id', (req) => updateCustomer(deps, req, false));
  app.patch('/api/customers/:id', (req) => updateCustomer(deps, req, true));
  app.delete('/api/customers/:id', (req, reply) => deleteCustomer(deps, req, reply));
}
