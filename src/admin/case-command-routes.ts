import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { lockCaseForAnswer, writeAnswer } from '../agents/agent-answer.js';
import { type CommandDeps, prepareCommands } from '../agents/command-effects.js';
import { type AgentCommand, readCommands } from '../agents/commands.js';
import type { Db } from '../db/database.js';
import type { Queues } from '../pipeline/queues.js';
import { enqueueSends } from '../replies/outbox.js';
import { caseStatuses, categories, priorities } from '../vocabulary.js';
import type { PrincipalOf } from './api-scope.js';
import { getCase } from './case-routes.js';
import { HttpError, parseInput } from './http-error.js';
import { numberParam } from './schemas.js';

// The agents' commands through the API: the same effects as `#status`, `#priority`, `#assign` and `#handover`
// in a reply by mail, written by the same code (`agent-answer.ts`).

export const caseCommands = z
  .strictObject({
    status: z.enum(caseStatuses.filter((s) => s !== 'new') as ['open', 'pending', 'resolved', 'closed']),
    priority: z.enum(priorities),
    /** The category the case really is in; recorded as a correction of triage. */
    category: z.enum(categories),
    /** An agent's address, or null to leave the case to every active agent. */
    assignee: z.email().toLowerCase().nullable(),
    handover: z.strictObject({
      target: z.enum(['microsoft', 'provider', 'partner']),
      requestNumber: z
        .string()
        .regex(/^\d{6,24}$/, 'must be a Microsoft service request number (digits only)')
        .nullable()
        .optional(),
    }),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'names nothing to change' });

function commandsOf(body: z.infer<typeof caseCommands>): AgentCommand[] {
  const out: AgentCommand[] = [];
  if (body.status) out.push({ name: 'status', status: body.status });
  if (body.priority) out.push({ name: 'priority', priority: body.priority });
  if (body.category) out.push({ name: 'category', category: body.category });
  if (body.assignee) out.push({ name: 'assign', email: body.assignee });
  if (body.handover)
    out.push({
      name: 'handover',
      target: body.handover.target,
      requestNumber: body.handover.requestNumber ?? null,
    });
  return out;
}

export const replyBody = z.strictObject({ text: z.string().trim().min(1, 'is empty').max(20_000) });

/** Who answers: the signed-in agent by name, or (a bearer token) the desk itself. */
async function authorOf(db: Db, actor: string, supportAddress: string) {
  const email = actor.startsWith('agent:') ? actor.slice('agent:'.length) : null;
  const agent = email
    ? await db
        .selectFrom('agents')
        .select(['id', 'email', 'name'])
        .where(({ fn }) => fn('lower', ['email']), '=', email)
        .executeTakeFirst()
    : undefined;
  return agent
    ? { agentId: agent.id, address: agent.email, name: agent.name, actor }
    : { agentId: null, address: supportAddress, name: null, actor };
}

/**
 * An answer typed in the case view (or posted by a script): commands on its first lines as in a mail answer,
 * the rest to the customer on the case's channel, under the signed-in agent's name.
 */
async function postReply(deps: CommandDeps & { queues: Queues }, req: FastifyRequest, actor: string) {
  const { number } = parseInput(numberParam, req.params);
  const read = readCommands(parseInput(replyBody, req.body).text);
  if (!read.ok) throw new HttpError(422, 'command_failed', read.problems.join('; '));
  if (!read.text && !read.commands.some((c) => c.name !== 'note'))
    throw new HttpError(422, 'empty_answer', 'the answer has no text to send and no command');
  const prepared = await prepareCommands(deps, String(number), read.commands);
  if ('problem' in prepared) throw new HttpError(422, 'command_failed', prepared.problem);
  const author = await authorOf(deps.db, actor, deps.supportAddress);
  const written = await deps.db.transaction().execute(async (tx) => {
    const kase = await lockCaseForAnswer(tx, String(number));
    if (!kase) throw new HttpError(404, 'not_found', `no case ${number}`);
    const w = await writeAnswer(tx, {
      kase,
      author,
      text: read.text,
      attachments: [],
      commands: read.commands,
      ...prepared,
      supportAddress: deps.supportAddress,
      via: 'api',
    });
    return { ...w, channel: kase.channel };
  });
  await enqueueSends(deps.queues, written.outboxIds);
  return {
    id: written.messageId,
    outboxId: written.outboxIds[0] ?? null,
    channel: written.channel,
    status: written.status,
    at: written.at,
  };
}

export function caseCommandRoutes(
  app: FastifyInstance,
  deps: CommandDeps & { queues: Queues },
  principal: PrincipalOf,
) {
  app.patch('/api/cases/:number', async (req) => {
    const { number } = parseInput(numberParam, req.params);
    const body = parseInput(caseCommands, req.body);
    const commands = commandsOf(body);
    const prepared = await prepareCommands(deps, String(number), commands);
    if ('problem' in prepared) throw new HttpError(422, 'command_failed', prepared.problem);
    const actor = principal(req).actor;
    const written = await deps.db.transaction().execute(async (tx) => {
      const kase = await lockCaseForAnswer(tx, String(number));
      if (!kase) throw new HttpError(404, 'not_found', `no case ${number}`);
      return writeAnswer(tx, {
        kase,
        author: { agentId: null, address: deps.supportAddress, name: null, actor },
        text: '',
        attachments: [],
        commands,
        ...prepared,
        ...(body.assignee === null ? { assigneeId: null } : {}),
        supportAddress: deps.supportAddress,
        via: 'api',
      });
    });
    await enqueueSends(deps.queues, written.outboxIds);
    return getCase(deps.db, { number });
  });

  app.post('/api/cases/:number/replies', async (req, reply) =>
    reply.status(201).send(await postReply(deps, req, principal(req).actor)),
  );
}
