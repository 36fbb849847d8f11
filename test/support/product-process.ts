import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { findFreePort } from './dovecot.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface ProductProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** The product as its own OS process (`src/main.ts` under tsx), so a test can SIGKILL it for real. */
export async function spawnProduct(
  env: Record<string, string>,
  timeoutMs = 30_000,
  /**
   * `http`: wait for /readyz; `listening`: wait for /healthz (a part may be failing on purpose); `log`: wait for
   * the "started" log line (roles without HTTP).
   */
  ready: 'http' | 'listening' | 'log' = 'http',
): Promise<ProductProcess> {
  const port = env.PORT && env.PORT !== '0' ? Number(env.PORT) : await findFreePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`product exited with ${child.exitCode} during start:\n${out}`);
    const ok =
      ready === 'log'
        ? out.includes('"msg":"started"')
        : await fetch(`${url}/${ready === 'http' ? 'readyz' : 'healthz'}`).then(
            (r) => r.ok,
            () => false,
          );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`product not ready within ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url,
    output: () => out,
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}
