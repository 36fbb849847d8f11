import { Worker } from 'node:worker_threads';

export interface RenderSandboxProps {
  /** Hard limit for one render, enforced by killing the thread. */
  timeoutMs?: number;
  maxHeapMb?: number;
}

/** What the lint learns from the renderer's parser. */
export interface TemplateAnalysis {
  problems: { part: string; line: number | null; column: number | null; message: string }[];
  /** Global variables read, as path segments (`['support', 'price']`), with where. */
  variables: { part: string; path: (string | number | unknown[])[]; line: number; column: number }[];
}

/** The template itself failed (it does not parse, or reads what is not there): another version may do. */
export class TemplateRenderError extends Error {
  readonly code = 'template_render_failed';
}

/**
 * The render thread failed, not the template (a timeout, a restart, shutdown): the job is tried again, and
 * no version is blamed.
 */
export class SandboxError extends Error {
  readonly code = 'render_sandbox_failed';
}

interface Pending {
  resolve(out: Record<string, string>): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Renders Liquid in a worker thread. liquidjs's own limits bound well-behaved templates; the thread boundary
 * (terminate on timeout, capped heap) bounds the rest.
 */
export class RenderSandbox {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly timeoutMs: number;
  private readonly maxHeapMb: number;

  constructor({ timeoutMs = 2_000, maxHeapMb = 64 }: RenderSandboxProps = {}) {
    this.timeoutMs = timeoutMs;
    this.maxHeapMb = maxHeapMb;
  }

  render(parts: Record<string, string>, context: Record<string, unknown>): Promise<Record<string, string>> {
    return this.post('render', parts, context);
  }

  /** Each part parsed (problems with line and column) and the variables it reads, with where. */
  async analyze(parts: Record<string, string>): Promise<TemplateAnalysis> {
    const out = await this.post('analyze', parts, {});
    return JSON.parse(out.json ?? '{}') as TemplateAnalysis;
  }

  private post(
    op: 'render' | 'analyze',
    parts: Record<string, string>,
    context: Record<string, unknown>,
  ): Promise<Record<string, string>> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SandboxError(`template render exceeded ${this.timeoutMs} ms`));
        this.restart();
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      // Structured clone strips prototypes and functions: the template sees plain data only.
      worker.postMessage({ id, op, parts, context });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.failAll(new SandboxError('render sandbox closed'));
    if (w) await w.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./render-worker.mjs', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: 16 },
      // The worker is plain JavaScript: no loader flags needed, and none inherited.
      execArgv: [],
    });
    worker.unref();
    worker.on(
      'message',
      (msg: { id: number; ok: boolean; out?: Record<string, string>; name?: string; message?: string }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.ok && msg.out) p.resolve(msg.out);
        else p.reject(new TemplateRenderError(`${msg.name}: ${msg.message}`));
      },
    );
    worker.on('error', (err) => {
      this.failAll(new SandboxError(`render thread failed: ${err.message}`));
      if (this.worker === worker) this.worker = null;
    });
    worker.on('exit', () => {
      if (this.worker === worker) {
        this.worker = null;
        this.failAll(new SandboxError('render thread exited'));
      }
    });
    this.worker = worker;
    return worker;
  }

  private restart(): void {
    const w = this.worker;
    this.worker = null;
    this.failAll(new SandboxError('render thread restarted after a timeout'));
    void w?.terminate();
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(id);
    }
  }
}
