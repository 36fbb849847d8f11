import type { FastifyInstance } from 'fastify';
import type { ChatIdentitySecret } from '../channels/chat/identity-secret.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { type PrincipalOf, requireAdmin } from './api-scope.js';
import { audit } from './audit.js';
import { HttpError } from './http-error.js';

// What a partner admin needs to wire the widget into the portal (admins only). The identity secret is never
// read back: a new one is made on request and shown in that answer only, replacing the old one everywhere
// within seconds. Set by CHAT_IDENTITY_SECRET, it is the environment's to change.

export function chatSettingsRoutes(
  app: FastifyInstance,
  deps: { db: Db; config: Config; identity: ChatIdentitySecret },
  principal: PrincipalOf,
) {
  app.get('/api/chat/settings', async (req) => {
    requireAdmin(principal, req);
    return {
      identitySecretSource: deps.identity.source,
      identityHash: 'hex HMAC-SHA256 of the lower-cased email, keyed with the identity secret',
      allowedOrigins: deps.config.chatAllowedOrigins,
      demoSignIn: deps.config.chatDemoSignIn,
    };
  });

  app.post('/api/chat/identity-secret', async (req, reply) => {
    requireAdmin(principal, req);
    if (deps.identity.source === 'CHAT_IDENTITY_SECRET')
      throw new HttpError(409, 'set_by_environment', 'CHAT_IDENTITY_SECRET sets the key; change it there');
    const identitySecret = await deps.identity.rotate();
    await audit(deps.db, {
      actor: principal(req).actor,
      action: 'rotate',
      entity: 'chat_identity_secret',
      entityId: 'chat',
    });
    reply.header('cache-control', 'no-store');
    return reply.status(201).send({ identitySecret });
  });
}
