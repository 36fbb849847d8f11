import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { markCaseAnswered } from '../cases/case-store.js';
import { insertMessage } from '../cases/message-store.js';
import { headerSafe } from '../channels/email/header-safe.js';
import type { Db } from '../db/database.js';
import type { Queues } from '../pipeline/queues.js';
import { newMessageId } from '../replies/compose-reply.js';
import { enqueueSends, insertSend } from '../replies/outbox.js';
import type { PrincipalOf } from './api-scope.js';
import { audit } from './audit.js';
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
    const result = await db
      .transaction()
      .execute((tx) => storeAnswer(tx, { number, text, actor, supportAddress }));
    await enqueueSends(queues, [result.outboxId]);
    return reply.status(201).send(result);
  });
}

/** The answer as a message on the case, its send, the case waiting on the customer, and the audit line. */
async function storeAnswer(
  tx: Db,
  a: { number: number; text: string; actor: string; supportAddress: string },
): Promise<{ id: string; outboxId: string; channel: string; at: Date }> {
  const kase = await tx
    .selectFrom('cases')
    .innerJoin('contacts', 'contacts.id', 'cases.contact_id')
    .select(['cases.id', 'cases.number', 'cases.subject', 'cases.channel', 'contacts.email'])
    .where('cases.number', '=', String(a.number))
    .forUpdate('cases')
    .executeTakeFirst();
  if (!kase) throw new HttpError(404, 'not_found', `no case ${a.number}`);
  const lastIn = await tx
    .selectFrom('messages')
    .select(['message_id', 'references'])
    .where('case_id', '=', kase.id)
    .where('direction', '=', 'in')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  const caseNumber = String(kase.number);
  const thread = {
    message_id: newMessageId(a.supportAddress, caseNumber),
    in_reply_to: lastIn?.message_id ?? null,
    references: [...(lastIn?.references ?? []), ...(lastIn?.message_id ? [lastIn.message_id] : [])].slice(
      -20,
    ),
  };
  const subject = headerSafe(`Re: [Case #${caseNumber}] ${kase.subject}`);
  const common = { channel: kase.channel, subject, from_address: a.supportAddress, ...thread };
  const message = await insertMessage(tx, {
    ...common,
    case_id: kase.id,
    direction: 'out',
    author: 'agent',
    text: a.text,
  });
  if (!message) throw new Error(`the answer on case ${caseNumber} was not stored`);
  const outboxId = await insertSend(tx, {
    ...common,
    case_id: kase.id,
    trigger_message_id: message.id,
    purpose: 'agent_reply',
    template_key: null,
    locale: null,
    automatic: false,
    to_address: kase.email,
    body_text: a.text,
  });
  if (!outboxId) throw new Error(`the answer on case ${caseNumber} already has a send`);
  await markCaseAnswered(tx, kase.id);
  await audit(tx, {
    actor: a.actor,
    action: 'reply',
    entity: 'case',
    entityId: caseNumber,
    after: { messageId: message.id },
  });
  return { id: message.id, outboxId, channel: kase.channel, at: message.created_at };
}
