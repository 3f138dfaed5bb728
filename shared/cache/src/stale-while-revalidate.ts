import { CacheAttributes as A, withSpan } from '@cachelab/telemetry';
import type { EntryWriter } from './entry-writer';
import type { EntityKeys } from './keys';
import { RedisLock } from './redis-lock';
import type { CacheStore } from './store';
import type { Loader } from './types';

export type RefreshReason = 'stale' | 'early';

/**
 * Stale-while-revalidate: past its logical expiry an entry is still served (`x-cache: stale`)
 * for a bounded window while one background task reloads it. The reader never waits for the
 * database; the next readers get the fresh value. Also used by probabilistic early refresh,
 * which starts the same background reload a little before expiry.
 *
 * One refresh at a time: per process (the `running` set) and across instances (a Redis lease,
 * not waited on: whoever does not get it simply keeps serving the current value).
 */
export class BackgroundRefresher {
  private readonly running = new Map<string, Promise<void>>();
  private readonly locks: RedisLock;

  constructor(
    store: CacheStore,
    private readonly writer: EntryWriter,
    private readonly lockTtlMs: number,
  ) {
    this.locks = new RedisLock(store);
  }

  /**
   * Starts a background reload of the entry, as a child span of the current read (in its trace,
   * though it may end after the response). False when one is already running in this process.
   */
  refresh<T>(keys: EntityKeys, seenVersion: string, load: Loader<T>, reason: RefreshReason): boolean {
    if (this.running.has(keys.entry)) return false;
    const attributes = { [A.key]: keys.entry, [A.earlyRefresh]: reason === 'early', [A.refreshReason]: reason };
    const task = withSpan('cache.refresh', attributes, async (span) => {
      const lock = await this.locks.tryAcquire(keys.lock, this.lockTtlMs);
      if (!lock) {
        span.setAttribute('cache.result', 'coalesced'); // another instance is on it
        return;
      }
      try {
        await this.writer.loadAndStore(keys, seenVersion, load);
        span.setAttribute('cache.result', 'refreshed');
      } finally {
        await this.locks.release(lock);
      }
    })
      .catch(() => undefined) // a failed refresh leaves the current entry in place; the span has the error
      .finally(() => this.running.delete(keys.entry));
    this.running.set(keys.entry, task);
    return true;
  }

  /** Resolves when every refresh started so far has finished (graceful shutdown, tests). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }
}
