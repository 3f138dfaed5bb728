import type { Span, SpanContext } from '@opentelemetry/api';
import { BypassReasons, CacheAttributes as A, cacheRequests, withSpan, type BypassReason } from '@cachelab/telemetry';
import { CacheUnavailableError } from './circuit-breaker';
import { decode } from './envelope';
import { EntryWriter, type EntryPolicy } from './entry-writer';
import { Invalidator } from './invalidation';
import { linkToLeader } from './leader-link';
import { entityKeys, type EntityKeys } from './keys';
import { SingleFlight } from './single-flight';
import { StampedeProtection, type StampedeOptions } from './stampede-protection';
import { BackgroundRefresher } from './stale-while-revalidate';
import type { CacheStore } from './store';
import type { CacheRead, Loader } from './types';
import type { RefreshReason } from './stale-while-revalidate';
import { shouldRefreshEarly } from './xfetch';

export interface CacheAsideOptions extends Partial<EntryPolicy>, Partial<StampedeOptions> {
  /** Key namespace and kind: entries are `<namespace>:{<id>}:<kind>`. */
  namespace: string;
  kind: string;
  ttlMs: number;
  /** Reported as `cache.pattern` in spans and metrics. */
  pattern?: string;
  /** Probabilistic early refresh (XFetch) with this beta; off when undefined. */
  earlyRefreshBeta?: number;
  /** How long a version counter outlives the last invalidation. */
  versionTtlMs?: number;
}

/** A read with what its span should say about it (`cache.lock.waited`, links, ...). */
interface TracedRead<T> extends CacheRead<T> {
  lockWaited?: boolean;
  follower?: boolean;
  source?: SpanContext | undefined;
  refresh?: RefreshReason;
  bypass?: BypassReason;
}

/**
 * Cache-aside (lazy loading): the application reads the cache first, and on a miss loads from
 * the database and writes the result back. Writes go to the database, then invalidate the entry.
 *
 *   get(id)         lookup ─ hit ──────────────────────────────► value          x-cache: hit
 *                     │      ├ tombstone ─────────────────────► "not found"    negative
 *                     │      └ past expiry, in stale window ──► old value +    stale
 *                     │                                         background refresh
 *                     └ miss ─► one loader across instances ──► value          miss / coalesced
 *                   Redis down or breaker open ───────────────► database       bypass
 *
 *   invalidate(id)  after the database commit: bump version + drop entry, atomically
 *
 * Each step is its own module: keys (hash tags), ttl (jitter), envelope (value + metadata),
 * entry-writer (versioned write-back), stampede-protection, stale-while-revalidate, xfetch,
 * invalidation and circuit-breaker.
 */
export class CacheAside<T> {
  private readonly pattern: string;
  private readonly stampede: StampedeProtection;
  private readonly refresher: BackgroundRefresher;
  private readonly invalidator: Invalidator;
  private readonly bypassFlights = new SingleFlight();
  private readonly staleWindowMs: number;

  constructor(
    private readonly store: CacheStore,
    private readonly options: CacheAsideOptions,
  ) {
    this.pattern = options.pattern ?? 'cache-aside';
    const policy: EntryPolicy = {
      ttlMs: options.ttlMs,
      jitter: options.jitter ?? 0.1,
      negativeTtlMs: options.negativeTtlMs ?? 0,
      staleWindowMs: options.staleWindowMs ?? 0,
    };
    this.staleWindowMs = policy.staleWindowMs;
    const stampede: StampedeOptions = { lockTtlMs: options.lockTtlMs ?? 5_000, waitTimeoutMs: options.waitTimeoutMs ?? 3_000 };
    const writer = new EntryWriter(store, policy);
    this.stampede = new StampedeProtection(store, writer, stampede);
    this.refresher = new BackgroundRefresher(store, writer, stampede.lockTtlMs);
    this.invalidator = new Invalidator(store, {
      versionTtlMs: options.versionTtlMs ?? 24 * 3600_000,
      maxEntryLifetimeMs: Math.ceil(policy.ttlMs * (1 + policy.jitter)) + policy.staleWindowMs,
    });
  }

  keys(id: string | number): EntityKeys {
    return entityKeys(this.options.namespace, id, this.options.kind);
  }

  async get(id: string | number, load: Loader<T>): Promise<CacheRead<T>> {
    const keys = this.keys(id);
    const attributes = { [A.pattern]: this.pattern, [A.namespace]: this.options.namespace, [A.key]: keys.entry };
    return withSpan(`cache.get ${this.options.namespace}.${this.options.kind}`, attributes, async (span) => {
      const read = await this.read(keys, load);
      describe(span, read);
      cacheRequests.inc({ pattern: this.pattern, result: read.result });
      return { value: read.value, result: read.result };
    });
  }

  /** Call after the database commit of any change to the entity (create, update, delete). */
  invalidate(id: string | number): Promise<'invalidated' | 'deferred'> {
    return this.invalidator.invalidate(this.keys(id));
  }

  /** Background refreshes and deferred invalidations, for graceful shutdown and tests. */
  async settled(): Promise<void> {
    await this.refresher.settled();
    await this.invalidator.flush();
  }

  close(): void {
    this.invalidator.close();
  }

  private async read(keys: EntityKeys, load: Loader<T>): Promise<TracedRead<T>> {
    if (this.store.unavailable) return this.bypass(keys, load, BypassReasons.breakerOpen);
    if (this.invalidator.isPending(keys.entry)) return this.bypass(keys, load, BypassReasons.pendingInvalidation);

    let raw: string | null;
    let version: string;
    try {
      [raw, version] = await this.lookup(keys);
    } catch (error) {
      if (error instanceof CacheUnavailableError) return this.bypass(keys, load, BypassReasons.redisUnavailable);
      throw error;
    }

    const entry = decode<T>(raw);
    const now = Date.now();
    if (entry && now < entry.expiresAt) {
      if (entry.kind === 'tombstone') return { value: null, result: 'negative' };
      const beta = this.options.earlyRefreshBeta;
      if (beta !== undefined && shouldRefreshEarly(entry.expiresAt, entry.loadMs, beta, now)) {
        if (this.refresher.refresh(keys, version, load, 'early')) return { value: entry.value, result: 'hit', refresh: 'early' };
      }
      return { value: entry.value, result: 'hit' };
    }
    if (entry?.kind === 'value' && now < entry.expiresAt + this.staleWindowMs) {
      // Past its logical expiry but inside the stale window: answer now, reload in the background.
      const started = this.refresher.refresh(keys, version, load, 'stale');
      return { value: entry.value, result: 'stale', ...(started ? { refresh: 'stale' as const } : {}) };
    }

    try {
      return await this.stampede.fill(keys, version, load);
    } catch (error) {
      // Only Redis calls made before loading can throw this: the loader has not run.
      if (error instanceof CacheUnavailableError) return this.bypass(keys, load, BypassReasons.redisUnavailable);
      throw error;
    }
  }

  /** The entry and the entity's version in one round trip (same hash tag: same slot). */
  private async lookup(keys: EntityKeys): Promise<[string | null, string]> {
    return withSpan('cache.lookup', { 'cache.key': keys.entry }, async () => {
      const [raw, version] = await this.store.run((redis) => redis.mget(keys.entry, keys.version));
      return [raw ?? null, version ?? '0'];
    });
  }

  /** Graceful degradation: serve from the database, still collapsing concurrent loads. */
  private async bypass(keys: EntityKeys, load: Loader<T>, reason: BypassReason): Promise<TracedRead<T>> {
    const { value } = await this.bypassFlights.do(keys.entry, load);
    return { value, result: 'bypass', bypass: reason };
  }
}

/**
 * What the read's span tells: its result, and the tags a trace search picks behaviours by
 * (docs/traces.md). A single-flight follower is linked to the span that loaded its value, in
 * the leader's trace; Zipkin drops links, so the leader's ids are also kept as attributes.
 */
function describe<T>(span: Span, read: TracedRead<T>): void {
  span.setAttribute(A.result, read.result);
  if (read.lockWaited) span.setAttribute(A.lockWaited, true);
  if (read.result === 'stale') span.setAttribute(A.stale, true);
  if (read.refresh === 'early') span.setAttribute(A.earlyRefresh, true);
  if (read.refresh) span.setAttribute(A.refreshReason, read.refresh);
  if (read.bypass) span.setAttribute(A.bypassReason, read.bypass);
  if (read.follower) {
    span.setAttribute(A.singleFlight, 'follower');
    if (read.source) linkToLeader(span, read.source);
  }
}
