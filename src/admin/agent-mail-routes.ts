import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import { explain, type RejectReason, rejectReasons } from '../agents/rejection-notice.js';
import type { Db } from '../db/database.js';
import { type PrincipalOf, requireAdmin } from './api-scope.js';
import { parseInput } from './http-error.js';

// Mail to an agent reply address that was not delivered: kept with the reason, for admins to see who tried
// what (a forged sender, a replayed or expired token, a command that was not understood). `?outcome=dropped`
// lists what was dropped without a word to anyone (out-of-office replies, bounces, a reply sent twice).

export const agentMailQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    /** Rejected (the default) or dropped (out-of-office replies, bounces, repeats): both are kept. */
    outcome: z.enum(['rejected', 'dropped']).default('rejected'),
    before: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

interface RejectedRow {
  id: string;
  created_at: Date;
  reason: string;
  detail: string;
  from_address: string | null;
  subject: string;
  message_id: string | null;
  told: boolean;
  case_number: string | null;
  agent_email: string | null;
}

export function agentMailRoutes(app: FastifyInstance, db: Db, principal: PrincipalOf) {
  app.get('/api/agent-mail/rejected', async (req) => {
    requireAdmin(principal, req);
    const q = parseInput(agentMailQuery, req.query);
    const rows = (
      await sql<RejectedRow>`select m.id, m.created_at, m.reason, m.detail, m.from_address, m.subject,
          m.message_id, m.told, c.number::text as case_number, a.email as agent_email
        from agent_mails m
        left join cases c on c.id = m.case_id
        left join agents a on a.id = m.agent_id
        where m.outcome = ${q.outcome} and m.created_at < coalesce(${q.before ?? null}::timestamptz, 'infinity')
        order by m.created_at desc, m.id limit ${q.limit}`.execute(db)
    ).rows;
    return {
      items: rows.map((r) => ({
        id: r.id,
        at: r.created_at,
        reason: r.reason,
        explanation: (rejectReasons as readonly string[]).includes(r.reason)
          ? explain(r.reason as RejectReason, 'en')
          : r.reason,
        detail: r.detail,
        from: r.from_address,
        subject: r.subject,
        messageId: r.message_id,
        caseNumber: r.case_number === null ? null : Number(r.case_number),
        agent: r.agent_email,
        agentTold: r.told,
      })),
    };
  });
}
