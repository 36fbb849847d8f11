import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.js';
import type { Queues } from '../pipeline/queues.js';
import { sessionAgent } from './sign-in.js';

// The queue dashboard (bull-board) at /admin/queues, for signed-in admins only: every route of it, pages,
// assets and its JSON calls alike, is behind the session check of this scope.

const basePath = '/admin/queues';

export async function registerQueueBoard(app: FastifyInstance, queues: Queues, db: Db): Promise<void> {
  const adapter = new FastifyAdapter();
  createBullBoard({ queues: queues.all().map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  adapter.setBasePath(basePath);
  await app.register(async (scope) => {
    // Answered here: bull-board's own error handler would turn a thrown error into its own shape.
    scope.addHook('onRequest', async (req, reply) => {
      const agent = await sessionAgent(db, req);
      if (agent?.role === 'admin') return;
      const [status, error, message] = agent
        ? [403, 'forbidden', 'needs the admin role']
        : [401, 'unauthorized', 'sign in at /admin first'];
      return reply.code(status).send({ error, message });
    });
    await scope.register(adapter.registerPlugin(), { prefix: basePath });
  });
}
