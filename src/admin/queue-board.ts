import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/database.js';
import type { Queues } from '../pipeline/queues.js';
import { HttpError } from './http-error.js';
import { sessionAgent } from './sign-in.js';

// The queue dashboard (bull-board) at /admin/queues, for signed-in admins only: every route of it, pages,
// assets and its JSON calls alike, is behind the session check of this scope.

const basePath = '/admin/queues';

export async function registerQueueBoard(app: FastifyInstance, queues: Queues, db: Db): Promise<void> {
  const adapter = new FastifyAdapter();
  createBullBoard({ queues: queues.all().map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  adapter.setBasePath(basePath);
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (req) => {
      const agent = await sessionAgent(db, req);
      if (!agent) throw new HttpError(401, 'unauthorized', 'sign in at /admin first');
      if (agent.role !== 'admin') throw new HttpError(403, 'forbidden', 'needs the admin role');
    });
    await scope.register(adapter.registerPlugin(), { prefix: basePath });
  });
}
