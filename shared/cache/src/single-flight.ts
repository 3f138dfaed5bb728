/**
 * In-process single flight: concurrent callers for the same key share one promise.
 *
 * This collapses a stampede inside one process only. Across instances it is not enough (each
 * instance would still send one query), which is why stampede protection adds a Redis lock.
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  /** Runs `fn` unless a call for `key` is already running; `shared` tells the followers apart. */
  async do<T>(key: string, fn: () => Promise<T>): Promise<{ value: T; shared: boolean }> {
    const running = this.inFlight.get(key) as Promise<T> | undefined;
    if (running) return { value: await running, shared: true };

    const call = fn().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, call);
    return { value: await call, shared: false };
  }

  get size(): number {
    return this.inFlight.size;
  }
}
