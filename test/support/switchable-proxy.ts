import net from 'node:net';

// A TCP relay that can be switched off and on: while off, every open connection is cut and each new one is
// accepted and closed at once (counted, so a test can wait for a client's retries instead of sleeping).

export interface SwitchableProxy {
  port: number;
  /** Connections refused while off. */
  refused(): number;
  off(): void;
  on(): void;
  close(): Promise<void>;
}

export async function startSwitchableProxy(target: { host: string; port: number }): Promise<SwitchableProxy> {
  let up = true;
  let refused = 0;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!up) {
      refused++;
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    open.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('close', end);
      s.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    refused: () => refused,
    off() {
      up = false;
      for (const s of open) s.destroy();
      open.clear();
    },
    on() {
      up = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
