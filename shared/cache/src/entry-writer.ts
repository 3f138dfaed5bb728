import type { SpanContext } from '@opentelemetry/api';
import { withSpan } from '@cachelab/telemetry';
import { encode } from './envelope';
import type { EntityKeys } from './keys';
import type { CacheStore } from './store';
import { withJitter } from './ttl';
import type { Loader } from './types';

export interface EntryPolicy {
  ttlMs: number;
  /** Spread of the TTL, as a share of it (0.1 = +/-10%). */
  jitter: number;
  /** How long a "no such record" answer is cached; 0 disables negative caching. */
  negativeTtlMs: number;
  /** How long Redis keeps a value past its logical expiry, to be served stale; 0 disables. */
  staleWindowMs: number;
}

/** A value loaded from the origin, with the span of that load (single-flight followers link to it). */
export interface Loaded<T> {
  value: T | null;
  loadSpan: SpanContext;
}

/**
 * Loads from the origin and writes the result back, guarded by the version the caller read
 * before loading (set-if-version-2.lua). Shared by every fill path: a miss, a lock waiter that
 * gave up, an early refresh and a stale-while-revalidate refresh.
 */
export class EntryWriter {
  constructor(
    private readonly store: CacheStore,
    private readonly policy: EntryPolicy,
  ) {}

  async loadAndStore<T>(keys: EntityKeys, seenVersion: string, load: Loader<T>): Promise<Loaded<T>> {
    const started = performance.now();
    let loadSpan: SpanContext | undefined;
    const value = await withSpan('cache.origin.load', { 'cache.key': keys.entry }, (span) => {
      loadSpan = span.spanContext();
      return load();
    });
    await this.write(keys, seenVersion, value, performance.now() - started);
    return { value, loadSpan: loadSpan! };
  }

  /** Writes a value (or a tombstone for null). A refused or failed write is not an error. */
  private async write<T>(keys: EntityKeys, seenVersion: string, value: T | null, loadMs: number): Promise<void> {
    const { ttlMs, jitter, negativeTtlMs, staleWindowMs } = this.policy;
    if (value === null && negativeTtlMs <= 0) return;

    const logicalTtl = value === null ? negativeTtlMs : withJitter(ttlMs, jitter);
    const physicalTtl = value === null ? logicalTtl : logicalTtl + staleWindowMs;
    const payload = encode(value, Date.now() + logicalTtl, Math.round(loadMs));

    await withSpan('cache.write', { 'cache.key': keys.entry, 'cache.ttl_ms': physicalTtl }, async (span) => {
      try {
        const written = await this.store.run((redis) =>
          redis.setIfVersion(keys.entry, keys.version, seenVersion, payload, physicalTtl),
        );
        span.setAttribute('cache.result', written === 1 ? 'written' : 'rejected');
      } catch {
        span.setAttribute('cache.result', 'error'); // the value was served; only caching is lost
      }
    });
  }
}
