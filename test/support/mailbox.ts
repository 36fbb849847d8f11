import { randomBytes } from 'node:crypto';
import { ImapFlow } from 'imapflow';

export interface ImapServerInfo {
  host: string;
  port: number;
  user: string;
  password: string;
  /** A private CA (PEM) to trust when the server offers TLS. */
  ca?: string;
}

export interface TestMailbox {
  /** Folder name on the server, e.g. `t-3f9a0c1d2e4b`. */
  path: string;
  /** `imap://<user url-encoded>:<password>@<host>:<port>/<path>?tls=off`, ready for the app's IMAP_URL (plain
   * text: the test servers are on loopback). */
  imapUrl: string;
  /** APPENDs a raw RFC 822 message (as a mail server would deliver it). */
  append(raw: string | Buffer, flags?: string[], receivedAt?: Date): Promise<void>;
  /** Number of messages in the folder (IMAP STATUS). */
  count(): Promise<number>;
  /** Deletes the folder and logs out the helper's connection. Safe to call twice. */
  remove(): Promise<void>;
}

export function connectImap(server: ImapServerInfo): ImapFlow {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    auth: { user: server.user, pass: server.password },
    tls: server.ca ? { ca: server.ca } : undefined,
    logger: false,
    disableAutoIdle: true,
  });
  // Without a listener an 'error' event (e.g. the server going away at teardown) would crash the worker.
  client.on('error', () => {});
  return client;
}

async function close(client: ImapFlow): Promise<void> {
  try {
    await client.logout();
  } catch {
    client.close();
  }
}

/** Creates a uniquely named IMAP folder for one test. */
export async function createTestMailbox(server: ImapServerInfo): Promise<TestMailbox> {
  const path = `t-${randomBytes(6).toString('hex')}`;
  const imapUrl = `imap://${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${encodeURIComponent(path)}?tls=off`;

  // The folder is created on a short-lived connection; the helper's own connection opens on first use,
  // so a mailbox that is only handed to the app does not hold a login.
  const creator = connectImap(server);
  await creator.connect();
  try {
    await creator.mailboxCreate(path);
  } finally {
    await close(creator);
  }

  let client: ImapFlow | undefined;
  let connecting: Promise<ImapFlow> | undefined;
  const getClient = async (): Promise<ImapFlow> => {
    if (client?.usable) return client;
    if (client && !connecting) {
      client.close();
      client = undefined;
    }
    connecting ??= (async () => {
      const next = connectImap(server);
      await next.connect();
      client = next;
      return next;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  let removed = false;
  return {
    path,
    imapUrl,
    async append(raw, flags, receivedAt) {
      let result = await (await getClient()).append(path, raw, flags, receivedAt).catch(() => false as const);
      // The server may have just ended this helper's session (a test kicking the user), and the end may not
      // have reached the client yet: once more, on a new session.
      if (result === false) {
        client?.close();
        client = undefined;
        result = await (await getClient()).append(path, raw, flags, receivedAt);
      }
      if (result === false) throw new Error(`IMAP APPEND to ${path} was refused`);
    },
    async count() {
      const imap = await getClient();
      const status = await imap.status(path, { messages: true });
      if (status === false || status.messages === undefined) throw new Error(`IMAP STATUS of ${path} failed`);
      return status.messages;
    },
    async remove() {
      if (removed) return;
      removed = true;
      try {
        const imap = await getClient();
        await imap.mailboxDelete(path);
      } finally {
        if (client) await close(client);
        client = undefined;
      }
    },
  };
}
