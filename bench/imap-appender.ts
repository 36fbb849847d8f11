import { performance } from 'node:perf_hooks';
import type { ImapFlow } from 'imapflow';
import { connectImap, type ImapServerInfo } from '../test/support/mailbox.js';
import type { BenchMail } from './mail-corpus.js';

// Delivers mails into a folder the way an MTA's local delivery would: as fast as the IMAP server takes them,
// over several connections at once.

export interface AppendRun {
  /** performance.now() before the first APPEND was sent and after the last one completed. */
  startedAt: number;
  endedAt: number;
  /** performance.now() when each mail's APPEND completed, by Message-ID. */
  appendedAt: Map<string, number>;
}

export interface AppenderProps {
  server: ImapServerInfo;
  folder: string;
  connections: number;
  /** Called before the first APPEND, with the start time; lets the caller arm its clocks. */
  onStart?: (startedAt: number) => void;
  onAppended?: (count: number) => void;
  /** Stops delivering and drops the connections (the bench is being torn down). */
  signal?: AbortSignal;
}

export async function appendAll(mails: BenchMail[], props: AppenderProps): Promise<AppendRun> {
  const clients: ImapFlow[] = [];
  const abort = () => {
    for (const client of clients) client.close();
  };
  props.signal?.addEventListener('abort', abort, { once: true });
  try {
    // Connect first, so that the measured span holds APPENDs only.
    for (let i = 0; i < Math.max(1, props.connections); i++) {
      const client = connectImap(props.server);
      clients.push(client);
      await client.connect();
    }
    const appendedAt = new Map<string, number>();
    let next = 0;
    const startedAt = performance.now();
    props.onStart?.(startedAt);
    await Promise.all(
      clients.map(async (client) => {
        while (next < mails.length) {
          if (props.signal?.aborted) throw new Error('APPEND aborted');
          const mail = mails[next++]!;
          const result = await client.append(props.folder, mail.raw);
          if (result === false) throw new Error(`IMAP APPEND of ${mail.messageId} was refused`);
          appendedAt.set(mail.messageId, performance.now());
          props.onAppended?.(appendedAt.size);
        }
      }),
    );
    return { startedAt, endedAt: performance.now(), appendedAt };
  } finally {
    props.signal?.removeEventListener('abort', abort);
    await Promise.all(clients.map((c) => c.logout().catch(() => c.close())));
  }
}
