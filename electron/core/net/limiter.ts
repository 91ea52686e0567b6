/** A counting semaphore: at most `limit` holders at once, FIFO. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError('limit must be at least 1');
  }

  get inUse(): number {
    return this.active;
  }

  async acquire(): Promise<() => void> {
    if (this.active < this.limit) {
      this.active++;
    } else {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }
}

/** Single-flight: concurrent callers with the same key share one in-flight promise. */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  get size(): number {
    return this.inFlight.size;
  }

  run(key: string, task: () => Promise<T>): Promise<T> {
    const existing = this.inFlight.get(key);
    if (existing) return existing;
    const promise = (async () => {
      try {
        return await task();
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, promise);
    return promise;
  }
}

/**
 * Run `task` over items with at most `limit` running at once; results in input order. The first
 * failure stops the rest from starting and is thrown once the tasks under way have ended.
 */
export async function mapBounded<I, O>(
  items: readonly I[],
  limit: number,
  task: (item: I, index: number) => Promise<O>,
): Promise<O[]> {
  const results = new Array<O>(items.length);
  // One iterator shared by the workers: each takes the next item when it is free.
  const queue = items.entries();
  // After a failure no item is started, and it is thrown once every task under way has ended:
  // a caller that cleans up after it finds nothing still running.
  let failure: { error: unknown } | null = null;
  const workers = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    for (const [i, item] of queue) {
      if (failure) return;
      try {
        results[i] = await task(item, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(workers);
  if (failure) throw (failure as { error: unknown }).error;
  return results;
}
