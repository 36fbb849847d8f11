// Teardown in reverse order of set-up, run once whether the bench ends, fails or is interrupted (Ctrl-C).

type Step = { what: string; run: () => Promise<unknown> | unknown };

const active = new Set<CleanupStack>();

export class CleanupStack {
  private readonly steps: Step[] = [];
  private running: Promise<void> | null = null;
  private readonly aborter = new AbortController();
  /** Aborted as teardown starts, before any step runs: work in progress stops using what is torn down. */
  readonly signal = this.aborter.signal;

  constructor() {
    active.add(this);
  }

  push(what: string, run: () => Promise<unknown> | unknown): void {
    this.steps.push({ what, run });
  }

  /** Runs every step, last pushed first; a failing step is reported and the rest still run. */
  run(timeoutMs = 30_000): Promise<void> {
    this.running ??= (async () => {
      this.aborter.abort();
      while (this.steps.length) {
        const step = this.steps.pop()!;
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(step.run),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`took over ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
        } catch (err) {
          process.stderr.write(`cleanup: ${step.what} failed: ${(err as Error).message ?? err}\n`);
        } finally {
          clearTimeout(timer);
        }
      }
      active.delete(this);
    })();
    return this.running;
  }
}

/** Runs every stack that has not finished yet; the entry point calls this on SIGINT/SIGTERM. */
export async function cleanupAll(): Promise<void> {
  await Promise.all([...active].map((stack) => stack.run()));
}
