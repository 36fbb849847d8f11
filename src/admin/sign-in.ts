import { hkdfSync } from 'node:crypto';
import CsrfTokens from '@fastify/csrf';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifySecureSession from '@fastify/secure-session';
import argon2 from 'argon2';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import type { ApiPrincipal } from './api-auth.js';
import { audit } from './audit.js';
import { HttpError, parseInput } from './http-error.js';

// Signing in to the admin with an agent's address and password: an encrypted, signed session cookie
// (HTTP-only, SameSite=Lax, Secure over HTTPS) naming the agent; CSRF tokens for every state-changing call
// made with it; attempts limited per address and per client across all processes (Redis). The session is
// looked up on every request, so an agent made inactive is signed out at once.

const sessionHours = 12;
const credentials = z.strictObject({
  email: z.email().max(254).toLowerCase(),
  password: z.string().min(1).max(200),
});

// argon2 of a throwaway password: a wrong address costs as much time as a wrong password.
const dummyHash = argon2.hash('not-a-password-of-anyone', { type: argon2.argon2id });

export interface SignInDeps {
  db: Db;
  redis: Redis;
  redisPrefix: string;
  secretKey: string;
}

interface SessionAgent {
  id: string;
  email: string;
  name: string;
  role: 'agent' | 'admin';
  locale: string;
}

declare module '@fastify/secure-session' {
  interface SessionData {
    agentId: string;
    /** The agent's session_version when signed in. */
    version: number;
    /** The CSRF secret (@fastify/csrf-protection's session key). */
    _csrf: string;
  }
}

/** The session's agent, if it is signed in and still active. */
export async function sessionAgent(db: Db, req: FastifyRequest): Promise<SessionAgent | null> {
  const id = req.session?.get('agentId');
  const version = req.session?.get('version');
  if (!id || typeof version !== 'number') return null;
  const row = await db
    .selectFrom('agents')
    .select(['id', 'email', 'name', 'role', 'locale'])
    .where('id', '=', id)
    .where('active', '=', true)
    .where('session_version', '=', version)
    .executeTakeFirst();
  return row ?? null;
}

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The principal of a request signed in by session; a state-changing call must carry its CSRF token. */
export async function sessionPrincipal(
  db: Db,
  req: FastifyRequest,
  agentMay: (req: FastifyRequest) => boolean,
) {
  const agent = await sessionAgent(db, req);
  if (!agent) return null;
  // An agent works cases; everything else is the admins'.
  if (agent.role !== 'admin' && !agentMay(req)) throw new HttpError(403, 'forbidden', 'needs the admin role');
  if (unsafe.has(req.method)) checkCsrf(req);
  return { actor: `agent:${agent.email}`, role: agent.role } satisfies ApiPrincipal;
}

const csrfTokens = CsrfTokens();

/**
 * The CSRF token of a state-changing call made with the session: in the `x-csrf-token` header (the session
 * holds its secret; `reply.generateCsrf()` made the token). Checked before the body is read.
 */
function checkCsrf(req: FastifyRequest): void {
  const secret = req.session.get('_csrf');
  const token = req.headers['x-csrf-token'];
  if (!secret || typeof token !== 'string' || !csrfTokens.verify(secret, token))
    throw new HttpError(403, 'csrf_invalid', 'missing or invalid CSRF token (x-csrf-token)');
}

export async function registerSessions(app: FastifyInstance, deps: SignInDeps): Promise<void> {
  const key = Buffer.from(hkdfSync('sha256', deps.secretKey, 'csp-support', 'admin session cookie v1', 32));
  await app.register(fastifySecureSession, {
    key,
    cookieName: 'csp_session',
    expiry: sessionHours * 3600,
    cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: 'auto' },
  });
  // Only for reply.generateCsrf(): tokens are checked by checkCsrf, in the API's own hook.
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/secure-session' });
}

/**
 * Attempts that fail (a success gives its point back): from one client for one address (tight), for one
 * address from anywhere (loose: it slows guessing spread over many clients, at the price that such a burst
 * can make that address wait out the window), and from one client for any address.
 */
function signInLimits(deps: SignInDeps) {
  const limit = (name: string, points: number) =>
    new RateLimiterRedis({
      storeClient: deps.redis,
      keyPrefix: `${deps.redisPrefix}:signin:${name}`,
      points,
      duration: 15 * 60,
      useRedisPackage: false,
    });
  return [
    { limiter: limit('address-client', 5), key: (email: string, ip: string) => `${email}|${ip}` },
    { limiter: limit('address', 50), key: (email: string) => email },
    { limiter: limit('client', 20), key: (_email: string, ip: string) => ip },
  ];
}

/** Sign-in, sign-out and the session's own view, outside /api. */
export function signInRoutes(app: FastifyInstance, deps: SignInDeps): void {
  const limits = signInLimits(deps);

  app.post('/admin/sign-in', async (req, reply) => {
    const { email, password } = parseInput(credentials, req.body);
    // Counted before the password is checked, so parallel guesses cannot all pass a check made before any
    // was counted; a successful sign-in gives its point back.
    const states = await Promise.all(
      limits.map((l) =>
        l.limiter.consume(l.key(email, req.ip)).catch((err: unknown) => {
          if (err instanceof RateLimiterRes) return err;
          throw err;
        }),
      ),
    );
    const blocked = states.findIndex((r, i) => r.consumedPoints > limits[i]!.limiter.points);
    if (blocked >= 0) {
      reply.header('retry-after', String(Math.ceil(states[blocked]!.msBeforeNext / 1000)));
      throw new HttpError(429, 'too_many_attempts', 'too many sign-in attempts; try again later');
    }
    const agent = await deps.db
      .selectFrom('agents')
      .select(['id', 'email', 'password_hash', 'session_version'])
      .where(({ fn }) => fn('lower', ['email']), '=', email)
      .where('active', '=', true)
      .executeTakeFirst();
    const ok = await argon2.verify(agent?.password_hash ?? (await dummyHash), password).catch(() => false);
    if (!agent?.password_hash || !ok) throw new HttpError(401, 'sign_in_failed', 'wrong address or password');
    await Promise.all([
      limits[0]!.limiter.delete(limits[0]!.key(email, req.ip)),
      ...limits.slice(1).map((l) => l.limiter.reward(l.key(email, req.ip), 1)),
    ]);
    req.session.regenerate();
    req.session.set('agentId', agent.id);
    req.session.set('version', agent.session_version);
    await audit(deps.db, {
      actor: `agent:${agent.email}`,
      action: 'sign_in',
      entity: 'agent',
      entityId: agent.id,
    });
    return { signedIn: true, csrfToken: reply.generateCsrf() };
  });

  app.get('/admin/session', async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const agent = await sessionAgent(deps.db, req);
    if (!agent) throw new HttpError(401, 'unauthorized', 'not signed in');
    return { agent, csrfToken: reply.generateCsrf() };
  });

  app.post('/admin/sign-out', async (req, _reply) => {
    const agent = await sessionAgent(deps.db, req);
    if (agent) {
      checkCsrf(req);
      // Every copy of the cookie is void from now on, not only this browser's.
      await deps.db
        .updateTable('agents')
        .set((eb) => ({ session_version: eb('session_version', '+', 1) }))
        .where('id', '=', agent.id)
        .execute();
    }
    req.session.delete();
    return { signedIn: false };
  });
}

/** ADMIN_EMAIL / ADMIN_PASSWORD: the first admin, created at start when no agent has that address. */
export async function ensureFirstAdmin(db: Db, email: string | undefined, password: string | undefined) {
  if (!email || !password) return;
  const hash = await argon2.hash(password, { type: argon2.argon2id });
  await sql`insert into agents (email, name, role, locale, password_hash)
    values (${email.toLowerCase()}, ${email.slice(0, email.indexOf('@'))}, 'admin', 'ja', ${hash})
    on conflict ((lower(email))) do nothing`.execute(db);
}
