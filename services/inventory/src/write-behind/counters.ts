import { RedisCircuitBreaker, WriteBehindCounter, type PendingView, type RankEntry, type TraceRef } from '@cachelab/cache';
import type { RedisClient } from '@cachelab/redis';
import type { WriteBehindConfig } from './config';
import { incrementsRecorded } from './metrics';

/** The two counters of a SKU, and the ranking that `sold` also feeds (the top-sellers leaderboard). */
export const COUNTERS = ['views', 'sold'] as const;
export type CounterName = (typeof COUNTERS)[number];
export const TOP_SELLERS = 'sold';

/**
 * The inventory's write-behind counters on the request path: the engine from @cachelab/cache on
 * a fail-fast connection behind a circuit breaker, so a Redis outage costs a request a quick
 * CacheUnavailableError, not a timeout each.
 */
export class InventoryCounters {
  readonly engine: WriteBehindCounter;
  readonly breaker: RedisCircuitBreaker;

  constructor(
    redis: RedisClient,
    readonly config: WriteBehindConfig,
  ) {
    this.engine = new WriteBehindCounter(redis, {
      namespace: config.namespace,
      shards: config.WRITE_BEHIND_SHARDS,
      traceLinksPerShard: config.WRITE_BEHIND_TRACE_LINKS,
    });
    this.breaker = new RedisCircuitBreaker({ name: 'write-behind' });
  }

  /** Counts one view of a (validated, known) SKU. */
  async view(sku: string, trace?: TraceRef): Promise<void> {
    await this.breaker.run(() => this.engine.record({ id: sku, counter: 'views', trace }));
    incrementsRecorded.inc({ counter: 'views', store: 'redis' });
  }

  /** Counts `qty` units of a sale once per (orderId, SKU); false when this sale had already counted. */
  async sale(orderId: string, sku: string, qty: number, trace?: TraceRef): Promise<boolean> {
    const counted = await this.breaker.run(() =>
      this.engine.record({
        id: sku,
        counter: 'sold',
        by: qty,
        ranking: TOP_SELLERS,
        once: { key: saleKey(orderId, sku), ttlSeconds: this.config.WRITE_BEHIND_SALE_DEDUP_HOURS * 3600 },
        trace,
      }),
    );
    if (counted) incrementsRecorded.inc({ counter: 'sold', store: 'redis' }, qty);
    return counted;
  }

  pending(sku: string): Promise<PendingView> {
    return this.breaker.run(() => this.engine.pending(sku, [...COUNTERS]));
  }

  topSellers(limit: number): Promise<RankEntry[]> {
    return this.breaker.run(() => this.engine.top(TOP_SELLERS, limit));
  }

  close(): void {
    this.breaker.shutdown();
  }
}

/** One sale line, as the idempotency marker and the fallback batch id name it. */
export const saleKey = (orderId: string, sku: string): string => `sale:${sku}:${orderId}`;
