import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { Server, type Socket } from 'socket.io';
import type { ClientAddress } from '../../client-address.js';
import type { Db } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import type { Queues } from '../../pipeline/queues.js';
import { type RedisWatch, redisClient } from '../../redis-connection.js';
import { handleChatConnection } from './chat-connection.js';
import { chatHandshake } from './chat-handshake.js';
import { type ChatLimits, createChatLimiters } from './chat-limits.js';

// The socket.io gateway: namespace /chat, rooms shared across gateway processes through Redis. A message is
// stored (and queued for triage) before the client gets its ack.

export const chatNamespace = '/chat';

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
  identitySecret: () => Promise<string>;
  /** Origins allowed to open the widget; empty means the product's own origin only. */
  allowedOrigins: string[];
  /** How a request's client address is read (TRUST_PROXY). */
  clientAddress: ClientAddress;
  /** A session token (and so an unused session) lasts this long. */
  sessionTtlSeconds?: number;
  limits?: ChatLimits;
}

/** Browsers send Origin; a page on another origin must be on the allow-list (same origin always is). */
function createServer(props: ChatGatewayProps, pub: Redis, sub: Redis): Server {
  const allowed = new Set(props.allowedOrigins.map((o) => o.replace(/\/+$/, '')));
  return new Server(props.httpServer, {
    path: '/socket.io',
    maxHttpBufferSize: 64 * 1024,
    cors: {
      origin: (origin, cb) => cb(null, !origin || allowed.size === 0 ? !origin : allowed.has(origin)),
    },
    allowRequest: (req, cb) => {
      const origin = req.headers.origin;
      if (!origin) return cb(null, true);
      const own = `http://${req.headers.host}`;
      const ownTls = `https://${req.headers.host}`;
      cb(null, origin === own || origin === ownTls || allowed.has(origin));
    },
    adapter: createAdapter(pub, sub, { key: `${props.redisPrefix}:socket.io` }),
  });
}

export function startChatGateway(props: ChatGatewayProps): { io: Server; close(): Promise<void> } {
  // Behind TRUST_PROXY, the client the proxies name; otherwise the socket's own address.
  const clientIp = (socket: Socket) => props.clientAddress(socket.request);
  const pub = redisClient(props.redisUrl, props.redisWatch);
  const sub = redisClient(props.redisUrl, props.redisWatch);
  const limiterRedis = redisClient(props.redisUrl, props.redisWatch);
  const limiters = createChatLimiters(limiterRedis, props.redisPrefix, props.limits);
  const io = createServer(props, pub, sub);
  const ns = io.of(chatNamespace);
  const log = props.logger.child({ component: 'chat-gateway' });
  const { db, secretKey } = props;
  ns.use(
    chatHandshake({
      db,
      secretKey,
      identitySecret: props.identitySecret,
      perIpConnections: limiters.perIpConnections,
      clientIp,
      log,
    }),
  );
  const sessionTtlSeconds = props.sessionTtlSeconds ?? 30 * 24 * 3600;
  const connectionDeps = {
    db,
    queues: props.queues,
    ns,
    limiters,
    clientIp,
    secretKey,
    sessionTtlSeconds,
    log,
  };
  ns.on('connection', (socket) => handleChatConnection(connectionDeps, socket));

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
