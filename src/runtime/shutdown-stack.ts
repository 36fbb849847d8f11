import type { Logger } from '../logger.js';

export type Stop = () => Promise<void> | void;

/**
 * What a process has started, stopped in the reverse order: a part is pushed after the parts it uses, so it
 * stops before them (workers before the queues and the database, the chat gateway before the HTTP server).
 */
export class ShutdownStack {
  private readonly stops: Stop[] = [];
  private stopped: Promise<void> | null = null;

  constructor(private readonly logger: Logger) {}

  push(stop: Stop): void {
    this.stops.push(stop);
  }

  /** Runs once however often it is called; a stop that fails is logged and the others still run. */
  stop(): Promise<void> {
    this.stopped ??= this.stopAll();
    return this.stopped;
  }

  private async stopAll(): Promise<void> {
    for (const stop of this.stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        this.logger.warn({ err }, 'error during shutdown');
      }
    }
  }
}
