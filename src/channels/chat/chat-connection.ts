import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Namespace, Socket } from 'socket.io';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import type { Queues } from '../../pipeline/queues.js';
import { sessionOf } from './chat-handshake.js';
import type { ChatLimiters } from './chat-limits.js';
import { type ChatSession, history, markPresence } from './chat-store.js';
import { storeVisitorMessage } from './first-message.js';
import { issueSessionToken } from './identity.js';

// One visitor's connection: its messages (each stored and queued for triage before the ack), its presence
// count and the session it is shown on connecting.

export const caseRoom = (caseId: string) => `case:${caseId}`;
export const maxMessageChars = 4000;

const messageSchema = z
  .object({
    text: z.string().trim().min(1, 'is empty').max(maxMessageChars, `is over ${maxMessageChars} characters`),
    clientId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
  })
  .strict();

export interface ChatConnectionDeps {
  db: Db;
  queues: Queues;
  ns: Namespace;
  limiters: ChatLimiters;
  clientIp: (socket: Socket) => string;
  secretKey: string;
  sessionTtlSeconds: number;
  log: Logger;
}

interface Connection {
  deps: ChatConnectionDeps;
  socket: Socket;
  session: ChatSession;
  log: Logger;
  /** Whether this socket is counted in the session's presence. */
  counted: boolean;
  heartbeat: NodeJS.Timeout | null;
}

/** Every tab of this visitor, on any gateway, follows the conversation to its case. */
function followToCase(c: Connection, caseId: string, caseNumber: string) {
  const { ns } = c.deps;
  const sessionRoom = `session:${c.session.id}`;
  if (c.session.caseId) ns.in(sessionRoom).socketsLeave(caseRoom(c.session.caseId));
  ns.in(sessionRoom).socketsJoin(caseRoom(caseId));
  void c.socket.join(caseRoom(caseId));
  c.session.caseId = caseId;
  c.session.caseNumber = caseNumber;
}

async function onMessage(c: Connection, payload: unknown, ack?: (r: unknown) => void): Promise<void> {
  const reply = typeof ack === 'function' ? ack : () => {};
  const fail = (code: string, message: string) => {
    reply({ error: { code, message } });
    c.socket.emit('chat_error', { code, message });
  };
  const parsed = messageSchema.safeParse(payload);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return fail('invalid_message', `${i?.path.join('.') || 'message'}: ${i?.message ?? 'invalid'}`);
  }
  const { perConnMessages, perIpMessages } = c.deps.limiters;
  try {
    await Promise.all([
      perConnMessages.consume(c.socket.id),
      perIpMessages.consume(c.deps.clientIp(c.socket)),
    ]);
  } catch (err) {
    if (err instanceof RateLimiterRes) return fail('rate_limited', 'too many messages; wait a few seconds');
    c.log.error({ err }, 'rate limiter unavailable');
    return fail('unavailable', 'the chat is unavailable right now; the message will be sent again');
  }
  try {
    // The first message stores the session too, counted as connected through this socket.
    const { stored, counted } = await storeVisitorMessage(
      c.deps.db,
      c.session,
      parsed.data.text,
      parsed.data.clientId,
    );
    if (counted) c.counted = true;
    if (c.session.caseId !== stored.caseId) followToCase(c, stored.caseId, stored.caseNumber);
    // Enqueued on a retry too: the job id makes it one job, and a crash between store and enqueue heals.
    await c.deps.queues.add('triage', { caseId: stored.caseId, messageId: stored.id });
    reply({ id: stored.id, caseNumber: Number(stored.caseNumber) });
  } catch (err) {
    c.log.error({ err }, 'chat message not stored');
    fail('unavailable', 'the message was not stored; it will be sent again');
  }
}

/** Counts the socket in and shows it the session; false when the socket is gone or the session failed. */
async function openSession(c: Connection): Promise<boolean> {
  const { db } = c.deps;
  const { socket, session } = c;
  try {
    if (session.persisted) {
      await markPresence(db, session.id, 1);
      c.counted = true;
    }
    if (c.counted && !socket.connected) {
      // Gone while we were counting it in: count it out again.
      c.counted = false;
      await markPresence(db, session.id, -1);
      return false;
    }
    socket.emit('session', {
      sessionToken: issueSessionToken(session.id, c.deps.secretKey, c.deps.sessionTtlSeconds),
      caseNumber: session.caseNumber ? Number(session.caseNumber) : undefined,
      verified: session.verified,
      messages: await history(db, session.caseId),
    });
    return true;
  } catch (err) {
    c.log.error({ err }, 'could not open the chat session');
    socket.emit('chat_error', { code: 'unavailable', message: 'the chat is unavailable right now' });
    socket.disconnect(true);
    return false;
  }
}

export async function handleChatConnection(deps: ChatConnectionDeps, socket: Socket): Promise<void> {
  const session = sessionOf(socket);
  const c: Connection = {
    deps,
    socket,
    session,
    log: deps.log.child({ chatSession: session.id, caseNumber: session.caseNumber ?? undefined }),
    counted: false,
    heartbeat: null,
  };
  // Handlers first: a tab that closes (or writes) while the session is being loaded must still be seen.
  socket.on('disconnect', () => {
    if (c.heartbeat) clearInterval(c.heartbeat);
    if (c.counted) void markPresence(deps.db, session.id, -1).catch(() => {});
  });
  socket.on('message', (payload: unknown, ack?: (r: unknown) => void) => onMessage(c, payload, ack));

  void socket.join(`session:${session.id}`);
  if (session.caseId) void socket.join(caseRoom(session.caseId));
  if (!(await openSession(c))) return;
  if (socket.connected) {
    c.heartbeat = setInterval(() => {
      if (session.persisted) void markPresence(deps.db, session.id, 0).catch(() => {});
    }, 30_000);
    c.heartbeat.unref();
  }
}
