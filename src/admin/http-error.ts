import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
    /** More fields of the JSON answer (e.g. `problems` of a template that is not valid). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Parses untrusted input; the 400 names each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const message = r.error.issues
    .slice(0, 10)
    .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
  throw new HttpError(400, 'validation_failed', message);
}

/** Whether a path, however spelled (`/%61pi`, `//api`, `/api/`), is under /api. */
function isApiPath(url: string): boolean {
  let path = url.split('?')[0] ?? '';
  try {
    path = decodeURIComponent(path);
  } catch {
    // a bad escape: read as written
  }
  return /^\/+api(\/|;|$)/i.test(path.replace(/^https?:\/\/[^/]+/i, ''));
}

/**
 * The error answers of the whole server. `authenticate` tells an unknown /api path's caller apart: without
 * valid credentials it is 401 like every API route, so nobody can map the API unauthenticated.
 */
export function installErrorHandler(
  app: FastifyInstance,
  authenticate?: (req: FastifyRequest) => Promise<unknown>,
): void {
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HttpError) {
      return reply.status(err.statusCode).send({ ...err.extra, error: err.error, message: err.message });
    }
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.code?.startsWith('FST_CSRF'))
      return reply.status(403).send({ error: 'csrf_invalid', message: 'missing or invalid CSRF token' });
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      // Fastify's own client errors: bad JSON, wrong content type, body too large.
      return reply
        .status(e.statusCode)
        .send({ error: (e.code ?? 'bad_request').toLowerCase(), message: e.message });
    }
    req.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: 'internal', message: 'internal error' });
  });
  app.setNotFoundHandler(async (req, reply) => {
    if (authenticate && isApiPath(req.url)) {
      const ok = await authenticate(req).then(
        () => true,
        () => false,
      );
      if (!ok) return reply.status(401).send({ error: 'unauthorized', message: 'not authenticated' });
    }
    return reply
      .status(404)
      .send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
}
