import { trace, type SpanContext } from '@opentelemetry/api';
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

/** A filled read, with what its trace should show about how the value was obtained. */
export interface FillRead<T> extends CacheRead<T> {
  /** This request waited for another instance's lease before it had a value. */
  lockWaited: boolean;
  /** This request shared the load of another request of this process (single flight). */
  follower: boolean;
  /** The span that produced the value in this process (its origin load, else the leader's wait or read). */
  source: SpanContext | undefined;
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

  async fill<T>(keys: EntityKeys, seenVersion: string, load: Loader<T>): Promise<FillRead<T>> {
    const { value: read, shared } = await this.flights.do(keys.entry, () =>
      this.fillAcrossInstances(keys, seenVersion, load, trace.getActiveSpan()?.spanContext()),
    );
    // A follower waited for the leader of its process, not for a lease: only the leader "waited".
    return shared ? { value: read.value, result: 'coalesced', lockWaited: false, follower: true, source: read.source } : read;
  }

  private async fillAcrossInstances<T>(
    keys: EntityKeys,
    seenVersion: string,
    load: Loader<T>,
    leaderSpan: SpanContext | undefined,
  ): Promise<FillRead<T>> {
    const filled = (value: T | null, result: 'miss' | 'coalesced', lockWaited: boolean, source: SpanContext | undefined): FillRead<T> => ({
      value,
      result,
      lockWaited,
      follower: false,
      source: source ?? leaderSpan,
    });
    let lockWaited = false;
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
          if (entry) return filled(valueOf(entry), 'coalesced', lockWaited, undefined);
          const loaded = await this.writer.loadAndStore(keys, version ?? '0', load);
          return filled(loaded.value, 'miss', lockWaited, loaded.loadSpan);
        } finally {
          await this.locks.release(lock);
        }
      }

      lockWaited = true;
      const waited = await withSpan('cache.lock.wait', { 'cache.key': keys.lock }, async (span) => {
        const started = Date.now();
        const waitSpan = span.spanContext();
        for (;;) {
          await delay(pause);
          pause = Math.min(pause * 2, 50);
          const [raw, owner] = await this.store.run((redis) => redis.mget(keys.entry, keys.lock));
          const entry = fresh(decode<T>(raw ?? null));
          const outcome = entry ? 'coalesced' : owner === null ? 'released' : Date.now() >= deadline ? 'timeout' : null;
          if (outcome) {
            span.setAttributes({ 'cache.result': outcome, 'cache.lock.wait_ms': Date.now() - started });
            return { outcome, entry, waitSpan };
          }
        }
      });

      if (waited.entry) return filled(valueOf(waited.entry), 'coalesced', true, waited.waitSpan);
      if (waited.outcome === 'timeout') {
        // The owner is slow or gone. Load ourselves; the versioned write keeps this safe.
        const loaded = await this.writer.loadAndStore(keys, seenVersion, load);
        return filled(loaded.value, 'miss', true, loaded.loadSpan);
      }
      // 'released' without a value: loop and try to take the lease ourselves.
    }
  }
}

/** An entry past its logical expiry (held for a stale window) does not end a fill. */
const fresh = <T>(entry: Entry<T> | null): Entry<T> | null => (entry && Date.now() < entry.expiresAt ? entry : null);
const valueOf = <T>(entry: Entry<T>): T | null => (entry.kind === 'value' ? entry.value : null);
