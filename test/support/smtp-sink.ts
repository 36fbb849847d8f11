import type { Socket } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  raw: Buffer;
  parsed: ParsedMail;
  /** Whether the session was encrypted (implicit TLS or after STARTTLS) when the mail came. */
  secure: boolean;
  /** The user the session authenticated as, if it did. */
  user?: string;
}

/** One AUTH the sink saw: who, and whether the session was encrypted at that moment. */
export interface AuthAttempt {
  user: string;
  secure: boolean;
  accepted: boolean;
}

export interface SmtpSinkOptions {
  stall?: boolean;
  /** Certificate and key to serve TLS with: STARTTLS, or implicit TLS with `implicitTls`. */
  tls?: { key: string; cert: string };
  implicitTls?: boolean;
  /**
   * Require AUTH: with these credentials only, or (`true`) any; AUTH is offered even before TLS, as careless
   * relays and relays on loopback do.
   */
  auth?: boolean | { user: string; password: string } | { xoauth2: (user: string, token: string) => boolean };
  /** Refuse every AUTH with 535 (until `setAuthRefused(false)`). */
  authRefused?: boolean;
  /** RCPT TO for this address gets 550. */
  rejectRecipient?: string;
}

export interface SmtpSink {
  host: string;
  port: number;
  /** `smtp://127.0.0.1:<port>` */
  url: string;
  /** Every message accepted so far, in arrival order. */
  messages: ReceivedMail[];
  /** Every AUTH command so far, in order. */
  authAttempts: AuthAttempt[];
  /** Resolves with `messages` once at least `count` have arrived; rejects after `timeoutMs` saying how many came. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** While stalled, DATA is read but never answered: the client hangs like on a relay that died mid-send. */
  setStall(stall: boolean): void;
  /** How many messages a stalled sink has read and left unanswered. */
  stalledCount(): number;
  /** While holding, a message is read but its answer waits for `releaseHeld()`: a slow relay. */
  setHold(hold: boolean): void;
  /** How many messages wait for their answer. */
  heldCount(): number;
  /** Answers (accepts) every held message. */
  releaseHeld(): void;
  /** While refusing, AUTH gets 535. */
  setAuthRefused(refused: boolean): void;
  /** RCPT TO for this address gets 550; null accepts everyone. */
  setRejectRecipient(address: string | null): void;
  /** Cuts every open connection (the server keeps listening): clients must connect and log in anew. */
  dropConnections(): void;
  /** Closes the server, destroying open (also stalled) connections. Safe to call twice. */
  stop(): Promise<void>;
}

interface Waiter {
  count: number;
  resolve(messages: ReceivedMail[]): void;
}

/**
 * An SMTP server on 127.0.0.1 (random port) that keeps what it receives: by default no auth required and no
 * STARTTLS; with `tls` it offers STARTTLS (or speaks implicit TLS), with `auth` it requires a login.
 */
export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  let stalled = opts.stall ?? false;
  let stalledMessages = 0;
  let hold = false;
  let authRefused = opts.authRefused ?? false;
  let rejectRecipient = opts.rejectRecipient ?? null;
  const held: Array<() => void> = [];
  const messages: ReceivedMail[] = [];
  const authAttempts: AuthAttempt[] = [];
  const auth = opts.auth;
  const waiters = new Set<Waiter>();
  const sockets = new Set<Socket>();

  const settle = () => {
    for (const waiter of waiters) {
      if (messages.length >= waiter.count) {
        waiters.delete(waiter);
        waiter.resolve(messages.slice());
      }
    }
  };

  const refusal = (code: number, message: string) =>
    Object.assign(new Error(message), { responseCode: code });
  const xoauth2 = typeof auth === 'object' && 'xoauth2' in auth ? auth.xoauth2 : null;
  const server = new SMTPServer({
    authOptional: !auth,
    // As Exchange Online: XOAUTH2 only, a refused token answered with a plain 535.
    ...(xoauth2 ? { authMethods: ['XOAUTH2'] } : {}),
    allowInsecureAuth: true,
    disabledCommands: [...(opts.tls ? [] : ['STARTTLS']), ...(auth ? [] : ['AUTH'])],
    secure: opts.implicitTls ?? false,
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    logger: false,
    closeTimeout: 100,
    onAuth(login, session, callback) {
      const valid = xoauth2
        ? login.method === 'XOAUTH2' && xoauth2(login.username ?? '', login.accessToken ?? '')
        : auth === true ||
          (!!auth &&
            typeof auth === 'object' &&
            'user' in auth &&
            login.username === auth.user &&
            login.password === auth.password);
      const accepted = valid && !authRefused;
      authAttempts.push({ user: login.username ?? '', secure: session.secure, accepted });
      if (accepted) callback(null, { user: login.username });
      else
        callback(
          refusal(
            535,
            xoauth2 ? '5.7.3 Authentication unsuccessful' : '5.7.8 Authentication credentials invalid',
          ),
        );
    },
    onRcptTo(address, _session, callback) {
      if (rejectRecipient && address.address.toLowerCase() === rejectRecipient.toLowerCase())
        return callback(refusal(550, '5.1.1 Mailbox unavailable'));
      callback();
    },
    onData(stream, session, callback) {
      if (stalled) {
        // Swallow the message and never answer the final dot.
        stream.once('end', () => {
          stalledMessages++;
        });
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('error', (error: Error) => callback(error));
      stream.once('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            const { mailFrom, rcptTo } = session.envelope;
            const received: ReceivedMail = {
              envelopeFrom: mailFrom === false ? '' : mailFrom.address,
              envelopeTo: rcptTo.map((rcpt) => rcpt.address),
              raw,
              parsed,
              secure: session.secure,
              user: typeof session.user === 'string' ? session.user : undefined,
            };
            // Answer after recording, so a resolved sendMail() means the message is already in `messages`.
            const answer = () => {
              messages.push(received);
              callback();
              settle();
            };
            if (hold) held.push(answer);
            else answer();
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      });
    },
  });
  server.on('error', () => {});
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const host = '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('smtp sink: no port');
  const port = address.port;

  let stopping: Promise<void> | undefined;
  return {
    host,
    port,
    url: `smtp://${host}:${port}`,
    messages,
    authAttempts,
    waitFor(count, timeoutMs = 10_000) {
      if (messages.length >= count) return Promise.resolve(messages.slice());
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          count,
          resolve: (received) => {
            clearTimeout(timer);
            resolve(received);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `smtp sink: expected at least ${count} message(s) within ${timeoutMs} ms, got ${messages.length}`,
            ),
          );
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    setStall(stall) {
      stalled = stall;
    },
    stalledCount: () => stalledMessages,
    setHold(on) {
      hold = on;
    },
    heldCount: () => held.length,
    releaseHeld() {
      for (const answer of held.splice(0)) answer();
    },
    setAuthRefused(refused) {
      authRefused = refused;
    },
    setRejectRecipient(address) {
      rejectRecipient = address;
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopping;
    },
  };
}
