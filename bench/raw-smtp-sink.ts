import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SMTPServer } from 'smtp-server';

// The bench's SMTP sink: unlike test/support/smtp-sink.ts it never MIME-parses, so that 2,000 acks cost the
// bench process next to nothing. It keeps the raw bytes, the arrival time and the In-Reply-To header.

export interface SunkMail {
  /** performance.now() of the bench process when the final dot arrived. */
  at: number;
  inReplyTo: string | null;
  raw: Buffer;
}

export interface RawSmtpSink {
  url: string;
  received: SunkMail[];
  /** Called for every mail after it is recorded and before it is answered. */
  onMail: ((mail: SunkMail) => void) | null;
  stop(): Promise<void>;
}

/** The first In-Reply-To of a raw message's header section, as `<id>`; headers are unfolded first. */
export function extractInReplyTo(raw: Buffer): string | null {
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0) end = raw.indexOf('\n\n');
  const head = raw
    .subarray(0, end < 0 ? raw.length : end)
    .toString('latin1')
    .replace(/\r?\n[ \t]+/g, ' ');
  const line = /^in-reply-to:[ \t]*(.*)$/im.exec(head);
  const id = line ? /<[^<>\s]+>/.exec(line[1]!) : null;
  return id ? id[0] : null;
}

export async function startRawSmtpSink(): Promise<RawSmtpSink> {
  const sockets = new Set<Socket>();
  const sink: RawSmtpSink = {
    url: '',
    received: [],
    onMail: null,
    stop: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('error', (error: Error) => callback(error));
      stream.once('end', () => {
        const raw = Buffer.concat(chunks);
        const mail: SunkMail = { at: performance.now(), inReplyTo: extractInReplyTo(raw), raw };
        sink.received.push(mail);
        sink.onMail?.(mail);
        callback();
      });
    },
  });
  server.on('error', () => {});
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('bench sink: no port');
  sink.url = `smtp://127.0.0.1:${address.port}`;

  let stopping: Promise<void> | undefined;
  sink.stop = () => {
    stopping ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return stopping;
  };
  return sink;
}
