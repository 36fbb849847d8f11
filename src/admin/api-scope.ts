import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiPrincipal } from './api-auth.js';
import { HttpError } from './http-error.js';

/** What a route handler asks for the caller: the principal, or a 401 if the request was never authenticated. */
export type PrincipalOf = (req: object) => ApiPrincipal;

/** Refuses (403) a caller who is not an admin: agents see cases, admins run the desk. */
export function requireAdmin(principal: PrincipalOf, req: object, what = 'needs the admin role'): void {
  if (principal(req).role !== 'admin') throw new HttpError(403, 'forbidden', what);
}

export interface ApiScopeProps {
  /** Establishes who calls, or throws a 401. */
  authenticate(req: FastifyRequest): Promise<ApiPrincipal>;
  /** Registers the API's routes on the authenticated scope. */
  routes(api: FastifyInstance, principal: PrincipalOf): void;
}

/**
 * Every API route lives in one encapsulated scope whose onRequest hook authenticates. The hook runs for the
 * route the router matched, however the path was spelled (percent-encoded letters, double slashes, the
 * absolute form), so no spelling reaches a handler unauthenticated. A handler that asks for a principal the
 * hook did not set gets a 401, never a default. At start-up every `/api` route must be in this scope.
 */
export async function registerApiScope(app: FastifyInstance, props: ApiScopeProps): Promise<void> {
  const principals = new WeakMap<object, ApiPrincipal>();
  const inScope = new Set<string>();
  const outside: string[] = [];
  app.addHook('onRoute', (r) => {
    const url = r.url ?? r.path;
    for (const method of [r.method].flat()) {
      if (url.startsWith('/api') && !inScope.has(`${method} ${url}`)) outside.push(`${method} ${url}`);
    }
  });
  const principal: PrincipalOf = (req) => {
    const p = principals.get(req);
    if (!p) throw new HttpError(401, 'unauthorized', 'not authenticated');
    return p;
  };
  await app.register(async (api) => {
    // Runs before the root's onRoute hook for the same route, so the root hook knows it is covered.
    api.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) inScope.add(`${method} ${r.url ?? r.path}`);
    });
    api.addHook('onRequest', async (req) => {
      principals.set(req, await props.authenticate(req));
    });
    props.routes(api, principal);
  });
  const stray = outside.filter((r) => !inScope.has(r));
  if (stray.length) throw new Error(`API routes outside the authenticated scope: ${stray.join(', ')}`);
}
