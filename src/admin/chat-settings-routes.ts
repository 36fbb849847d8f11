import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Secrets } from '../secrets.js';
import { type PrincipalOf, requireAdmin } from './api-scope.js';

// What a partner admin needs to wire the widget into the portal, the identity secret included (admins only).

export function chatSettingsRoutes(
  app: FastifyInstance,
  config: Config,
  secrets: Secrets,
  principal: PrincipalOf,
) {
  app.get('/api/chat/settings', async (req, reply) => {
    requireAdmin(principal, req);
    reply.header('cache-control', 'no-store');
    return {
      identitySecret: secrets.chatIdentitySecret,
      identitySecretSource: config.chatIdentitySecret ? 'CHAT_IDENTITY_SECRET' : 'generated',
      identityHash: 'hex HMAC-SHA256 of the lower-cased email, keyed with identitySecret',
      allowedOrigins: config.chatAllowedOrigins,
      demoSignIn: config.chatDemoSignIn,
    };
  });
}
