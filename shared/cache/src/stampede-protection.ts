import { withSpan } from '@cachelab/telemetry';
import { decode, type Entry } from './envelope';
import type { EntryWriter } from './entry-writer';
import type { EntityKeys } from './keys';
import { RedisLock } from './redis-lock';
import { SingleFlight } from './single-flight';
import type { CacheStore } from './store';
import { delay, type CacheRead, type Loader } from './types';

export interface StampedeOptions {
  /** Lease length: longer than a normal load, short enough that a dead owner frees it soon. */
  lockTtlMs: number;
  /** How long a waiter waits for the owner's value before going to the database itself. */
  waitTimeoutMs: number;
}

/**
 * Stampede protection: when a popular entry is missing, exactly one loader goes to the database,
 * across every instance of the service.
 *
 * 1. In-process single flight: concurrent requests in one process share one promise.
 * 2. A Redis lease (RedisLock) elects one process across instances to load. Holding it, the
 *    winner checks the entry once more: a loader that finished between our lookup and our lease
 *    has already written it.
 * 3. The others wait for the value the winner writes, checking the entry and the lease together
 *    (one MGET: same hash tag, same slot). If the lease is gone and no value came (the winner's
 *    write was refused after an invalidation, or the winner died), a waiter tries to take the
 *    lease itself. Waiting is bounded by `waitTimeoutMs`; after it, the waiter loads on its own.
 */
export class StampedeProtection {
  private readonly flights = new SingleFlight();
  private readonly locks: RedisLock;

  constructor(
    private readonly store: CacheStore,
    private readonly writer: EntryWriter,
    private readonly options: StampedeOptions,
  ) {
    this.locks = new RedisLock(store);
  }

  async fill<T>(keys: EntityKeys, seenVersion: string, load: Loader<T>): Promise<CacheRead<T>> {
    const { value: read, shared } = await this.flights.do(keys.entry, () =>
      this.fillAcrossInstances(keys, seenVersion, load),
    );
    return shared ? { value: read.value, result: 'coalesced' } : read;
  }

  private async fillAcrossInstances<T>(keys: EntityKeys, seenVersion: string, load: Loader<T>): Promise<CacheRead<T>> {
    const deadline = Date.now() + this.options.waitTimeoutMs;
    let pause = 5;
    for (;;) {
      const lock = await this.locks.tryAcquire(keys.lock, this.options.lockTtlMs);
      if (lock) {
        try {
          // Double-check under the lease: a loader that finished between our lookup and our
          // lease has already written the value (and the version may have moved since).
          const [raw, version] = await this.store.run((redis) => redis.mget(keys.entry, keys.version));
          const entry = fresh(decode<T>(raw ?? null));
          if (entry) return { value: valueOf(entry), result: 'coalesced' };
          return { value: await this.writer.loadAndStore(keys, version ?? '0', load), result: 'miss' };
        } finally {
          await this.locks.release(lock);
        }
      }

      const waited = await withSpan('cache.lock.wait', { 'cache.key': keys.lock }, async (span) => {
        const started = Date.now();
        for (;;) {
          await delay(pause);
          pause = Math.min(pause * 2, 50);
          const [raw, owner] = await this.store.run((redis) => redis.mget(keys.entry, keys.lock));
          const entry = fresh(decode<T>(raw ?? null));
          const outcome = entry ? 'coalesced' : owner === null ? 'released' : Date.now() >= deadline ? 'timeout' : null;
          if (outcome) {
            span.setAttributes({ 'cache.result': outcome, 'cache.lock.wait_ms': Date.now() - started });
            return { outcome, entry };
          }
        }
      });

      if (waited.entry) return { value: valueOf(waited.entry), result: 'coalesced' };
      if (waited.outcome === 'timeout') {
        // The owner is slow or gone. Load ourselves; the versioned write keeps this safe.
        return { value: await this.writer.loadAndStore(keys, seenVersion, load), result: 'miss' };
      }
      // 'released' without a value: loop and try to take the lease ourselves.
    }
  }
}

/** An entry past its logical expiry (held for a stale window) does not end a fill. */
const fresh = <T>(entry: Entry<T> | null): Entry<T> | null => (entry && Date.now() < entry.expiresAt ? entry : null);
const valueOf = <T>(entry: Entry<T>): T | null => (entry.kind === 'value' ? entry.value : null);
