import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { lockCaseForAnswer, writeAnswer } from '../agents/agent-answer.js';
import type { Db } from '../db/database.js';
import type { Queues } from '../pipeline/queues.js';
import { enqueueSends } from '../replies/outbox.js';
import type { PrincipalOf } from './api-scope.js';
import { HttpError, parseInput } from './http-error.js';
import { numberParam } from './schemas.js';

// An agent's answer, posted through the API, goes to the customer on the case's channel through the outbox.

const replyBody = z.object({ text: z.string().trim().min(1, 'is empty').max(20_000) }).strict();

export function replyRoutes(
  app: FastifyInstance,
  db: Db,
  queues: Queues,
  supportAddress: string,
  principal: PrincipalOf,
) {
  app.post('/api/cases/:number/replies', async (req, reply) => {
    const { number } = parseInput(numberParam, req.params);
    const { text } = parseInput(replyBody, req.body);
    const actor = principal(req).actor;
    const result = await db.transaction().execute(async (tx) => {
      const kase = await lockCaseForAnswer(tx, String(number));
      if (!kase) throw new HttpError(404, 'not_found', `no case ${number}`);
      const written = await writeAnswer(tx, {
        kase,
        author: { agentId: null, address: supportAddress, name: null, actor },
        text,
        attachments: [],
        commands: [],
        supportAddress,
      });
      return {
        id: written.messageId!,
        outboxId: written.outboxIds[0]!,
        channel: kase.channel,
        at: written.at!,
      };
    });
    await enqueueSends(queues, [result.outboxId]);
    return reply.status(201).send(result);
  });
}
