import net from 'node:net';

// A TCP relay that can make its current connections go silent without closing them: what a NAT box or
// firewall that forgot a flow looks like from both ends. New connections are relayed as usual.

export interface TcpProxy {
  host: string;
  port: number;
  /** Connections relayed so far. */
  connections(): number;
  /** From now on, nothing passes on the connections open now; they stay open. */
  silenceOpenConnections(): void;
  /** Writes `line` to every open client and closes it: a server ending its sessions with its own words. */
  endOpenConnections(line: string): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; silent: boolean }>();
  let count = 0;
  const server = net.createServer((client) => {
    count++;
    const upstream = net.connect(target.port, target.host);
    const pair = { client, upstream, silent: false };
    pairs.add(pair);
    client.on('data', (d) => {
      if (!pair.silent) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!pair.silent) client.write(d);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    connections: () => count,
    silenceOpenConnections() {
      for (const p of pairs) p.silent = true;
    },
    endOpenConnections(line) {
      for (const p of pairs) {
        p.silent = true;
        p.client.end(line);
        p.upstream.destroy();
      }
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
