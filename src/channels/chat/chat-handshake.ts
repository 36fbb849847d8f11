import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Socket } from 'socket.io';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import { locales } from '../../vocabulary.js';
import { type ChatSession, pendingSession, resumeSession } from './chat-store.js';
import { readSessionToken } from './identity.js';

const authSchema = z
  .object({
    email: z.email().max(320).optional(),
    name: z.string().trim().max(200).optional(),
    identityHash: z.string().max(200).optional(),
    sessionToken: z.string().max(300).optional(),
    locale: z.enum(locales).optional(),
  })
  .strip();

interface SocketData {
  session: ChatSession;
}

/** The session the handshake attached to the socket. */
export function sessionOf(socket: Socket): ChatSession {
  return (socket.data as SocketData).session;
}

export interface ChatHandshakeDeps {
  db: Db;
  secretKey: string;
  /** The current key portals sign visitors' addresses with. */
  identitySecret: () => Promise<string>;
  perIpConnections: { consume(key: string): Promise<unknown> };
  clientIp: (socket: Socket) => string;
  log: Logger;
}

/** An error the widget receives with a `code` it can act on. */
function refusal(message: string, data: Record<string, unknown>): Error {
  const e = new Error(message) as Error & { data?: unknown };
  e.data = data;
  return e;
}

type Next = (err?: Error) => void;

async function sessionFor(deps: ChatHandshakeDeps, auth: z.infer<typeof authSchema>): Promise<ChatSession> {
  const resumedId = auth.sessionToken ? readSessionToken(auth.sessionToken, deps.secretKey) : null;
  // A tampered or expired token gets a fresh, empty session; never somebody else's.
  // A valid token whose session was never stored (the visitor had not written) keeps its id.
  return (
    (resumedId ? await resumeSession(deps.db, resumedId) : null) ??
    pendingSession(auth, await deps.identitySecret(), resumedId ?? undefined)
  );
}

/** The connection middleware: a per-address connection limit, the sign-in check, then the session. */
export function chatHandshake(deps: ChatHandshakeDeps) {
  return async (socket: Socket, next: Next): Promise<void> => {
    try {
      await deps.perIpConnections.consume(deps.clientIp(socket));
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        return next(
          refusal('too many connections from this address; wait a minute', { code: 'rate_limited' }),
        );
      }
      return next(err as Error);
    }
    // A token of the wrong shape is just a token that does not verify: a fresh session. Anything else the
    // portal sent that is malformed is refused with the field named, not quietly turned into a stranger.
    const given = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    const token = given.sessionToken;
    const parsed = authSchema.safeParse({
      ...given,
      sessionToken: typeof token === 'string' && token.length <= 300 ? token : undefined,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'auth';
      return next(
        refusal(`chat sign-in refused: ${field}: ${issue?.message ?? 'invalid'}`, {
          code: 'invalid_auth',
          field,
        }),
      );
    }
    try {
      (socket.data as SocketData).session = await sessionFor(deps, parsed.data);
      next();
    } catch (err) {
      deps.log.error({ err }, 'chat handshake failed');
      next(new Error('the chat is unavailable right now'));
    }
  };
}
