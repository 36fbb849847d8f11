// A pause a loop takes between rounds that `wake` ends at once (a stop, a lease lost, news).
export class WakeablePause {
  private wakeUp: (() => void) | null = null;

  /** Resolves after `ms`, or as soon as `wake` is called. */
  pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        this.wakeUp = null;
        resolve();
      };
    });
  }

  wake(): void {
    this.wakeUp?.();
  }
}
