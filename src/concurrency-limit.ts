// At most `n` calls of a kind running at once; the rest wait their turn, first come first served.

export type ConcurrencyLimit = <T>(run: () => Promise<T>) => Promise<T>;

export function concurrencyLimit(n: number): ConcurrencyLimit {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (run) => {
    if (active < n) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await run();
    } finally {
      // The slot passes straight to the next caller, so a newcomer can never overtake one that waits.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
