import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../test/support/dovecot.js';
import { type CpuTimes, readCpuTimes, readPeakRssMb } from './proc-stats.js';

const root = fileURLToPath(new URL('../', import.meta.url));

export interface ProductChildProps {
  env: Record<string, string>;
  /** When set, the child runs with --cpu-prof and writes its profile here on exit. */
  cpuProfDir?: string;
  readyTimeoutMs?: number;
}

export interface ProductChild {
  child: ChildProcess;
  pid: number;
  url: string;
  /** The last lines the product wrote (stdout and stderr). */
  output(): string;
  /** Lines the product wrote at all; with LOG_LEVEL=warn each one is a warning or an error. */
  lineCount(): number;
  /** Peak resident set (VmHWM) in MiB, null once the process is gone. */
  peakRssMb(): number | null;
  /** User and system CPU seconds used so far, null once the process is gone. */
  cpuTimes(): CpuTimes | null;
  /** SIGTERM, wait for the exit (SIGKILL after `graceMs`). Safe to call twice. */
  stop(graceMs?: number): Promise<number | null>;
}

/** The product as its own OS process (`node --import tsx src/main.ts`), ready once /readyz answers 200. */
export async function startProductChild(props: ProductChildProps): Promise<ProductChild> {
  const port = await findFreePort();
  const nodeArgs = props.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${props.cpuProfDir}`] : [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      ...props.env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('product did not start (no pid)');
  const lines: string[] = [];
  let count = 0;
  let partial = '';
  const collect = (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      count++;
      lines.push(line);
      if (lines.length > 200) lines.shift();
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = once(child, 'exit');
  const output = () => [...lines, partial].join('\n').trim();

  let stopping: Promise<number | null> | undefined;
  const stop = (graceMs = 35_000) => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const result = await Promise.race([exited, sleep(graceMs).then(() => 'timeout' as const)]);
      if (result === 'timeout') {
        child.kill('SIGKILL');
        await exited;
        return null;
      }
      return child.exitCode;
    })();
    return stopping;
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (props.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`product exited with ${child.exitCode} during start:\n${output()}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop(2000);
      throw new Error(`product not ready within ${props.readyTimeoutMs ?? 60_000} ms:\n${output()}`);
    }
    await sleep(100);
  }
  return {
    child,
    pid,
    url,
    output,
    lineCount: () => count + (partial ? 1 : 0),
    peakRssMb: () => readPeakRssMb(pid),
    cpuTimes: () => readCpuTimes(pid),
    stop,
  };
}
