import type { FastifyInstance } from 'fastify';
import type { ImapSettings } from '../config.js';
import type { Db } from '../db/database.js';
import type { HealthBoard } from '../health.js';
import { type PrincipalOf, requireAdmin } from './api-scope.js';

// The mailboxes the intake reads (today the one of IMAP_URL), with where each stands: its health as the
// intake last reported it, and the last message taken. The password never leaves the configuration.

export function mailboxRoutes(
  app: FastifyInstance,
  deps: { db: Db; imap: ImapSettings | undefined; health: Pick<HealthBoard, 'read'> },
  principal: PrincipalOf,
) {
  app.get('/api/mailboxes', async (req) => {
    requireAdmin(principal, req);
    if (!deps.imap) return { items: [] };
    const [parts, checkpoint] = await Promise.all([
      deps.health.read().catch(() => ({}) as Awaited<ReturnType<HealthBoard['read']>>),
      deps.db
        .selectFrom('mailbox_state')
        .select(['last_uid', 'updated_at'])
        .where('mailbox_key', '=', deps.imap.key)
        .executeTakeFirst(),
    ]);
    const { host, port, tls, user, mailbox, key } = deps.imap;
    return {
      items: [
        {
          key,
          protocol: 'imap',
          host,
          port,
          tls,
          user,
          folder: mailbox,
          source: 'IMAP_URL',
          health: parts.imap?.state ?? 'unknown',
          lastUid: checkpoint ? Number(checkpoint.last_uid) : null,
          checkedAt: checkpoint?.updated_at ?? null,
        },
      ],
    };
  });
}
