import argon2 from 'argon2';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Selectable } from 'kysely';
import type { Db } from '../db/database.js';
import type { AgentsTable } from '../db/schema.js';
import { type PrincipalOf, requireAdmin } from './api-scope.js';
import { audit } from './audit.js';
import { HttpError, parseInput } from './http-error.js';
import { agentPatchSchema, agentSchema, idParam } from './schemas.js';

// `/api/agents`: the people told of cases who answer them by mail; admins also sign in to the web admin.
// The password is write-only: stored as an argon2id hash, never shown, never in the audit log.

type AgentRow = Selectable<AgentsTable>;
type AgentInput = ReturnType<typeof agentSchema.parse>;

interface AgentRouteDeps {
  db: Db;
  principal: PrincipalOf;
}

export function agentView(r: AgentRow) {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    active: r.active,
    locale: r.locale,
    hasPassword: r.password_hash !== null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The columns an input names: the address as stored (lower case), a password only as its argon2id hash. */
async function columnsOf<I extends Partial<AgentInput>>(input: I) {
  const { password, email, ...rest } = input;
  return {
    ...rest,
    ...(email === undefined ? {} : { email: email.toLowerCase() }),
    ...(password === undefined
      ? {}
      : { password_hash: await argon2.hash(password, { type: argon2.argon2id }) }),
  };
}

function isEmailTaken(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === 'agents_email_key';
}

async function findOr404(db: Db, id: string): Promise<AgentRow> {
  const row = await db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new HttpError(404, 'not_found', `no agent ${id}`);
  return row;
}

async function createAgent(deps: AgentRouteDeps, req: FastifyRequest, reply: FastifyReply) {
  const body = parseInput(agentSchema, req.body);
  const row = await deps.db
    .insertInto('agents')
    .values({ ...(await columnsOf(body)), email: body.email.toLowerCase() })
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch((err) => {
      if (isEmailTaken(err))
        throw new HttpError(409, 'conflict', `email: an agent with ${body.email} exists`);
      throw err;
    });
  const view = agentView(row);
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'create',
    entity: 'agent',
    entityId: row.id,
    after: view,
  });
  return reply.status(201).send(view);
}

/**
 * PUT replaces every field (a password left out keeps the stored one), PATCH only those it names: it writes
 * no other column, so a concurrent change of another field (an agent switched off, say) is never undone.
 */
async function updateAgent(deps: AgentRouteDeps, req: FastifyRequest, partial: boolean) {
  const { id } = parseInput(idParam, req.params);
  const before = agentView(await findOr404(deps.db, id));
  const body = partial ? parseInput(agentPatchSchema, req.body) : parseInput(agentSchema, req.body);
  const columns = await columnsOf(body);
  const row = await deps.db
    .updateTable('agents')
    .set((eb) => ({
      ...columns,
      updated_at: new Date(),
      // A new password signs the agent out everywhere.
      ...(body.password === undefined ? {} : { session_version: eb('session_version', '+', 1) }),
    }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
    .catch((err) => {
      if (isEmailTaken(err))
        throw new HttpError(409, 'conflict', `email: an agent with ${columns.email} exists`);
      throw err;
    });
  if (!row) throw new HttpError(404, 'not_found', `no agent ${id}`);
  const after = agentView(row);
  const change = { actor: deps.principal(req).actor, action: 'update', entity: 'agent', entityId: id };
  await audit(deps.db, {
    ...change,
    before,
    after: { ...after, passwordChanged: body.password !== undefined },
  });
  return after;
}

async function deleteAgent(deps: AgentRouteDeps, req: FastifyRequest, reply: FastifyReply) {
  const { id } = parseInput(idParam, req.params);
  const before = agentView(await findOr404(deps.db, id));
  await deps.db.deleteFrom('agents').where('id', '=', id).execute();
  await audit(deps.db, {
    actor: deps.principal(req).actor,
    action: 'delete',
    entity: 'agent',
    entityId: id,
    before,
  });
  return reply.status(204).send();
}

/** Agents are the desk's own people: only an admin may list or change them. */
export function agentRoutes(app: FastifyInstance, db: Db, principal: PrincipalOf) {
  const deps: AgentRouteDeps = { db, principal };
  const asAdmin =
    <R>(handle: (req: FastifyRequest, reply: FastifyReply) => Promise<R>) =>
    (req: FastifyRequest, reply: FastifyReply) => {
      requireAdmin(principal, req);
      return handle(req, reply);
    };
  app.get(
    '/api/agents',
    asAdmin(async () => ({
      items: (await db.selectFrom('agents').selectAll().orderBy('created_at').execute()).map(agentView),
    })),
  );
  app.get(
    '/api/agents/:id',
    asAdmin(async (req) => agentView(await findOr404(db, parseInput(idParam, req.params).id))),
  );
  app.post(
    '/api/agents',
    asAdmin((req, reply) => createAgent(deps, req, reply)),
  );
  app.put(
    '/api/agents/:id',
    asAdmin((req) => updateAgent(deps, req, false)),
  );
  app.patch(
    '/api/agents/:id',
    asAdmin((req) => updateAgent(deps, req, true)),
  );
  app.delete(
    '/api/agents/:id',
    asAdmin((req, reply) => deleteAgent(deps, req, reply)),
  );
}
