import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { lockCaseForAnswer, writeAnswer } from '../agents/agent-answer.js';
import { type CommandDeps, prepareCommands } from '../agents/command-effects.js';
import type { AgentCommand } from '../agents/commands.js';
import type { Queues } from '../pipeline/queues.js';
import { enqueueSends } from '../replies/outbox.js';
import { caseStatuses, priorities } from '../vocabulary.js';
import type { PrincipalOf } from './api-scope.js';
import { getCase } from './case-routes.js';
import { HttpError, parseInput } from './http-error.js';
import { numberParam } from './schemas.js';

// The agents' commands through the API: the same effects as `#status`, `#priority`, `#assign` and `#handover`
// in a reply by mail, written by the same code (`agent-answer.ts`).

const caseCommands = z
  .strictObject({
    status: z.enum(caseStatuses.filter((s) => s !== 'new') as ['open', 'pending', 'resolved', 'closed']),
    priority: z.enum(priorities),
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
  if (body.assignee) out.push({ name: 'assign', email: body.assignee });
  if (body.handover)
    out.push({
      name: 'handover',
      target: body.handover.target,
      requestNumber: body.handover.requestNumber ?? null,
    });
  return out;
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
      });
    });
    await enqueueSends(deps.queues, written.outboxIds);
    return getCase(deps.db, { number });
  });
}
