import { io, type Socket } from 'socket.io-client';

// A chat visitor as the widget is one: socket.io client on /chat, with the SPEC's handshake and events.

export interface ChatSessionEvent {
  sessionToken: string;
  caseNumber?: number;
  verified: boolean;
  messages: Array<{ id: string; author: string; text: string; at: string }>;
}

export interface Visitor {
  socket: Socket;
  session: ChatSessionEvent;
  received: Array<{ id: string; author: string; text: string; at: string }>;
  send(
    text: string,
    clientId?: string,
  ): Promise<{ id?: string; caseNumber?: number; error?: { code: string; message: string } }>;
  close(): void;
}

export async function connectVisitor(
  baseUrl: string,
  auth: Record<string, string | undefined> = {},
  extra: { extraHeaders?: Record<string, string> } = {},
): Promise<Visitor> {
  const socket = io(`${baseUrl}/chat`, {
    transports: ['websocket'],
    auth,
    reconnection: false,
    forceNew: true,
    extraHeaders: extra.extraHeaders,
  });
  const received: Visitor['received'] = [];
  socket.on('message', (m) => received.push(m));
  const session = await new Promise<ChatSessionEvent>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no session event within 10 s')), 10_000);
    socket.once('session', (s: ChatSessionEvent) => {
      clearTimeout(timer);
      resolve(s);
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  let n = 0;
  return {
    socket,
    session,
    received,
    send: (text, clientId = `c${Date.now().toString(36)}${++n}`) =>
      socket.timeout(10_000).emitWithAck('message', { text, clientId }),
    close: () => socket.disconnect(),
  };
}
