import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteSummary } from '../server.js';
import { type RouteDoc, routeDocs } from './api-docs.js';

// The OpenAPI 3.1 document of the JSON API, made from the routes the server registered and the zod schemas
// their handlers check input with (api-docs.ts), served at /api/openapi.json; and a plain reference page
// of it at /api/docs. Both sit inside the authenticated API scope like every other /api route.

type JsonSchema = Record<string, unknown>;

const jsonSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
};

const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
};

function queryParameters(doc: RouteDoc | undefined) {
  if (!doc?.query) return [];
  const s = jsonSchema(doc.query) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: s.required?.includes(name) ?? false,
    schema,
  }));
}

function operation(route: RouteSummary, doc: RouteDoc | undefined) {
  const pathParameters = [...route.url.matchAll(/:(\w+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  return {
    summary: doc?.summary ?? route.url,
    description: doc?.agents ? 'Agents and admins.' : 'Admins only (agents get 403).',
    parameters: [...pathParameters, ...queryParameters(doc)],
    ...(doc?.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(doc.body) } } } }
      : {}),
    responses: {
      [route.method === 'POST' && !/preview|dry-run|import/.test(route.url) ? '201' : '200']: {
        description: 'Done',
      },
      '400': error('The input does not pass the schema'),
      '401': error('No valid bearer token or session'),
      '403': error('Not for this role, or a session call without its CSRF token'),
      '404': error('No such record'),
    },
  };
}

export function openApiDocument(routes: readonly RouteSummary[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    if (!r.url.startsWith('/api') || r.method === 'HEAD' || r.method === 'OPTIONS') continue;
    const path = r.url.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = operation(r, routeDocs[`${r.method} ${r.url}`]);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'CSP support intake API', version: '1' },
    security: [{ bearer: [] }, { session: [] }],
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'ADMIN_API_TOKEN' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'csp_session',
          description: 'Signed in at /admin; state-changing calls also need the x-csrf-token header.',
        },
      },
    },
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);

function docsPage(doc: ReturnType<typeof openApiDocument>): string {
  const sections = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const o = op as ReturnType<typeof operation>;
      const params = o.parameters
        .map(
          (p) =>
            `<li><code>${escapeHtml(String(p.name))}</code> (${p.in}${p.required ? ', required' : ''})</li>`,
        )
        .join('');
      const body = o.requestBody
        ? `<details><summary>Body</summary><pre>${escapeHtml(JSON.stringify(o.requestBody.content['application/json'].schema, null, 2))}</pre></details>`
        : '';
      return `<section><h2><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h2>
<p>${escapeHtml(o.summary)} ${escapeHtml(o.description)}</p>${params ? `<ul>${params}</ul>` : ''}${body}</section>`;
    }),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}
h2{font-size:1rem;margin:1.5rem 0 .3rem}pre{background:#f4f6f8;padding:.5rem;overflow:auto;font-size:12px}</style>
</head><body><main><h1>API reference</h1>
<p>Authenticate with <code>Authorization: Bearer &lt;ADMIN_API_TOKEN&gt;</code>, or sign in at <a href="/admin">/admin</a>.
Errors are JSON <code>{ error, message }</code>. The machine-readable document: <a href="/api/openapi.json">/api/openapi.json</a>.</p>
${sections.join('\n')}</main></body></html>`;
}

export function openApiRoutes(app: FastifyInstance, routes: readonly RouteSummary[]): void {
  app.get('/api/openapi.json', async () => openApiDocument(routes));
  app.get('/api/docs', async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      )
      .send(docsPage(openApiDocument(routes))),
  );
}
