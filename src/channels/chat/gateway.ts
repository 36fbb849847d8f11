import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import type { ClientAddress } from '../../client-address.js';
import type { Db } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import type { Queues } from '../../pipeline/queues.js';
import { type RedisWatch, redisClient } from '../../redis-connection.js';
import { locales } from '../../vocabulary.js';
import { type ChatSession, history, markPresence, pendingSession, resumeSession } from './chat-store.js';
import { storeVisitorMessage } from './first-message.js';
import { issueSessionToken, readSessionToken } from './identity.js';

// The socket.io gateway: namespace /chat, rooms shared across gateway processes through Redis. A message is
// stored (and queued for triage) before the client gets its ack.

export const chatNamespace = '/chat';
export const caseRoom = (caseId: string) => `case:${caseId}`;
export const maxMessageChars = 4000;

const authSchema = z
  .object({
    email: z.email().max(320).optional(),
    name: z.string().trim().max(200).optional(),
    identityHash: z.string().max(200).optional(),
    sessionToken: z.string().max(300).optional(),
    locale: z.enum(locales).optional(),
  })
  .strip();
const messageSchema = z
  .object({
    text: z.string().trim().min(1, 'is empty').max(maxMessageChars, `is over ${maxMessageChars} characters`),
    clientId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
  })
  .strict();

export interface ChatGatewayProps {
  httpServer: HttpServer;
  db: Db;
  queues: Queues;
  logger: Logger;
  redisUrl: string;
  redisPrefix: string;
  /** Every Redis client is watched, so an outage is one log line, not one per retry. */
  redisWatch: RedisWatch;
  secretKey: string;
  identitySecret: string;
  /** Origins allowed to open the widget; empty means the product's own origin only. */
  allowedOrigins: string[];
  /** How a request's client address is read (TRUST_PROXY). */
  clientAddress: ClientAddress;
  /** A session token (and so an unused session) lasts this long. */
  sessionTtlSeconds?: number;
  limits?: {
    messagesPerMinutePerIp: number;
    messagesPer10sPerConnection: number;
    connectionsPerMinutePerIp: number;
  };
}

interface SocketData {
  session: ChatSession;
}

export function startChatGateway(props: ChatGatewayProps): { io: Server; close(): Promise<void> } {
  // Behind TRUST_PROXY, the client the proxies name; otherwise the socket's own address.
  const clientIp = (socket: Socket) => props.clientAddress(socket.request);
  const pub = redisClient(props.redisUrl, props.redisWatch);
  const sub = redisClient(props.redisUrl, props.redisWatch);
  const limiterRedis = redisClient(props.redisUrl, props.redisWatch);
  const limits = props.limits ?? {
    messagesPerMinutePerIp: 120,
    messagesPer10sPerConnection: 20,
    connectionsPerMinutePerIp: 60,
  };
  const limiter = (name: string, points: number, duration: number) =>
    new RateLimiterRedis({
      storeClient: limiterRedis,
      keyPrefix: `${props.redisPrefix}:rl:${name}`,
      points,
      duration,
    });
  const perIpMessages = limiter('msg-ip', limits.messagesPerMinutePerIp, 60);
  const perConnMessages = limiter('msg-conn', limits.messagesPer10sPerConnection, 10);
  const perIpConnections = limiter('conn-ip', limits.connectionsPerMinutePerIp, 60);

  const allowed = new Set(props.allowedOrigins.map((o) => o.replace(/\/+$/, '')));
  const io = new Server(props.httpServer, {
    path: '/socket.io',
    maxHttpBufferSize: 64 * 1024,
    cors: {
      origin: (origin, cb) => cb(null, !origin || allowed.size === 0 ? !origin : allowed.has(origin)),
    },
    // Browsers send Origin; a page on another origin must be on the allow-list (same origin always is).
    allowRequest: (req, cb) => {
      const origin = req.headers.origin;
      if (!origin) return cb(null, true);
      const own = `http://${req.headers.host}`;
      const ownTls = `https://${req.headers.host}`;
      cb(null, origin === own || origin === ownTls || allowed.has(origin));
    },
    adapter: createAdapter(pub, sub, { key: `${props.redisPrefix}:socket.io` }),
  });
  const ns = io.of(chatNamespace);
  const log = props.logger.child({ component: 'chat-gateway' });
  const ttl = props.sessionTtlSeconds ?? 30 * 24 * 3600;

  ns.use(async (socket, next) => {
    try {
      await perIpConnections.consume(clientIp(socket));
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        const e = new Error('too many connections from this address; wait a minute') as Error & {
          data?: unknown;
        };
        e.data = { code: 'rate_limited' };
        return next(e);
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
      const e = new Error(`chat sign-in refused: ${field}: ${issue?.message ?? 'invalid'}`) as Error & {
        data?: unknown;
      };
      e.data = { code: 'invalid_auth', field };
      return next(e);
    }
    const auth = parsed.data;
    try {
      const resumedId = auth.sessionToken ? readSessionToken(auth.sessionToken, props.secretKey) : null;
      // A tampered or expired token gets a fresh, empty session; never somebody else's.
      // A valid token whose session was never stored (the visitor had not written) keeps its id.
      const session =
        (resumedId ? await resumeSession(props.db, resumedId) : null) ??
        pendingSession(auth, props.identitySecret, resumedId ?? undefined);
      (socket.data as SocketData).session = session;
      next();
    } catch (err) {
      log.error({ err }, 'chat handshake failed');
      next(new Error('the chat is unavailable right now'));
    }
  });

  ns.on('connection', async (socket) => {
    const data = socket.data as SocketData;
    const session = data.session;
    const sessionLog = log.child({ chatSession: session.id, caseNumber: session.caseNumber ?? undefined });
    // Handlers first: a tab that closes (or writes) while the session is being loaded must still be seen.
    let heartbeat: NodeJS.Timeout | null = null;
    let counted = false;
    socket.on('disconnect', () => {
      if (heartbeat) clearInterval(heartbeat);
      if (counted) void markPresence(props.db, session.id, -1).catch(() => {});
    });

    socket.on('message', async (payload: unknown, ack?: (r: unknown) => void) => {
      const reply = typeof ack === 'function' ? ack : () => {};
      const fail = (code: string, message: string) => {
        reply({ error: { code, message } });
        socket.emit('chat_error', { code, message });
      };
      const parsed = messageSchema.safeParse(payload);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        return fail('invalid_message', `${i?.path.join('.') || 'message'}: ${i?.message ?? 'invalid'}`);
      }
      try {
        await Promise.all([perConnMessages.consume(socket.id), perIpMessages.consume(clientIp(socket))]);
      } catch (err) {
        if (err instanceof RateLimiterRes)
          return fail('rate_limited', 'too many messages; wait a few seconds');
        sessionLog.error({ err }, 'rate limiter unavailable');
        return fail('unavailable', 'the chat is unavailable right now; the message will be sent again');
      }
      try {
        // The first message stores the session too, counted as connected through this socket.
        const { stored, counted: countedNow } = await storeVisitorMessage(
          props.db,
          session,
          parsed.data.text,
          parsed.data.clientId,
        );
        if (countedNow) counted = true;
        if (session.caseId !== stored.caseId) {
          // Every tab of this visitor, on any gateway, follows the conversation to its case.
          const sessionRoom = `session:${session.id}`;
          if (session.caseId) ns.in(sessionRoom).socketsLeave(caseRoom(session.caseId));
          ns.in(sessionRoom).socketsJoin(caseRoom(stored.caseId));
          void socket.join(caseRoom(stored.caseId));
          session.caseId = stored.caseId;
          session.caseNumber = stored.caseNumber;
        }
        // Enqueued on a retry too: the job id makes it one job, and a crash between store and enqueue heals.
        await props.queues.add('triage', { caseId: stored.caseId, messageId: stored.id });
        reply({ id: stored.id, caseNumber: Number(stored.caseNumber) });
      } catch (err) {
        sessionLog.error({ err }, 'chat message not stored');
        fail('unavailable', 'the message was not stored; it will be sent again');
      }
    });

    void socket.join(`session:${session.id}`);
    if (session.caseId) void socket.join(caseRoom(session.caseId));
    try {
      if (session.persisted) {
        await markPresence(props.db, session.id, 1);
        counted = true;
      }
      if (counted && !socket.connected) {
        // Gone while we were counting it in: count it out again.
        counted = false;
        await markPresence(props.db, session.id, -1);
        return;
      }
      socket.emit('session', {
        sessionToken: issueSessionToken(session.id, props.secretKey, ttl),
        caseNumber: session.caseNumber ? Number(session.caseNumber) : undefined,
        verified: session.verified,
        messages: await history(props.db, session.caseId),
      });
    } catch (err) {
      sessionLog.error({ err }, 'could not open the chat session');
      socket.emit('chat_error', { code: 'unavailable', message: 'the chat is unavailable right now' });
      socket.disconnect(true);
      return;
    }
    if (socket.connected) {
      heartbeat = setInterval(() => {
        if (session.persisted) void markPresence(props.db, session.id, 0).catch(() => {});
      }, 30_000);
      heartbeat.unref();
    }
  });

  return {
    io,
    async close() {
      // Not io.close(): that would close the HTTP server, which is the API's to close.
      ns.disconnectSockets(true);
      io.engine.close();
      pub.disconnect();
      sub.disconnect();
      limiterRedis.disconnect();
    },
  };
}
