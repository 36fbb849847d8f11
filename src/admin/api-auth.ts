import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';

export interface ApiPrincipal {
  actor: string;
  role: 'admin' | 'agent';
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Bearer-token check, compared in constant time. With no token configured the API stays closed. */
export function bearerAuth(adminToken: string | undefined) {
  const expected = adminToken ? digest(adminToken) : null;
  return async (req: FastifyRequest): Promise<ApiPrincipal> => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new HttpError(401, 'unauthorized', 'missing bearer token (Authorization: Bearer <token>)');
    if (!expected || !timingSafeEqual(digest(m[1]!), expected)) {
      throw new HttpError(401, 'unauthorized', 'invalid token');
    }
    return { actor: 'api-token', role: 'admin' };
  };
}
