import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { headerSafe } from '../channels/email/header-safe.js';
import type { Db } from '../db/database.js';
import type { Queues } from '../pipeline/queues.js';
import { newMessageId } from '../replies/compose-reply.js';
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
    const result = await db.transaction().execute(async (tx) => {
      const kase = await tx
        .selectFrom('cases')
        .innerJoin('contacts', 'contacts.id', 'cases.contact_id')
        .select(['cases.id', 'cases.number', 'cases.subject', 'cases.channel', 'contacts.email'])
        .where('cases.number', '=', String(number))
        .forUpdate('cases')
        .executeTakeFirst();
      if (!kase) throw new HttpError(404, 'not_found', `no case ${number}`);
      const lastIn = await tx
        .selectFrom('messages')
        .select(['message_id', 'references'])
        .where('case_id', '=', kase.id)
        .where('direction', '=', 'in')
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      const caseNumber = String(kase.number);
      const messageId = newMessageId(supportAddress, caseNumber);
      const references = [
        ...(lastIn?.references ?? []),
        ...(lastIn?.message_id ? [lastIn.message_id] : []),
      ].slice(-20);
      const subject = headerSafe(`Re: [Case #${caseNumber}] ${kase.subject}`);
      const message = await tx
        .insertInto('messages')
        .values({
          case_id: kase.id,
          direction: 'out',
          author: 'agent',
          channel: kase.channel,
          subject,
          text,
          full_text: null,
          html: null,
          from_address: supportAddress,
          from_name: null,
          mailbox_key: null,
          message_id: messageId,
          in_reply_to: lastIn?.message_id ?? null,
          references,
          raw_mail_id: null,
          client_id: null,
          auto_reply_blocker: null,
        })
        .returning(['id', 'created_at'])
        .executeTakeFirstOrThrow();
      const outbox = await tx
        .insertInto('outbox')
        .values({
          case_id: kase.id,
          trigger_message_id: message.id,
          purpose: 'agent_reply',
          template_key: null,
          locale: null,
          channel: kase.channel,
          automatic: false,
          to_address: kase.email,
          from_address: supportAddress,
          subject,
          body_text: text,
          message_id: messageId,
          in_reply_to: lastIn?.message_id ?? null,
          references,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await tx
        .updateTable('cases')
        .set({ status: 'pending', updated_at: new Date() })
        .where('id', '=', kase.id)
        .where('status', 'in', ['new', 'open'])
        .execute();
      await audit(tx, {
        actor,
        action: 'reply',
        entity: 'case',
        entityId: caseNumber,
        after: { messageId: message.id },
      });
      return { id: message.id, outboxId: outbox.id, channel: kase.channel, at: message.created_at };
    });
    await queues.add('outbound', { outboxId: result.outboxId });
    return reply.status(201).send(result);
  });
}
