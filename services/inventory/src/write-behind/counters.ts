import { CacheStore, ShardedLeaderboard, WriteBehindCounter, type PendingView, type RankEntry, type RevokeOutcome, type TraceRef } from '@cachelab/cache';
import type { RedisClient } from '@cachelab/redis';
import type { WriteBehindConfig } from './config';
import { incrementsRecorded } from './metrics';

/** The two counters of a SKU, and the ranking that `sold` also feeds (the top-sellers leaderboard). */
export const COUNTERS = ['views', 'sold'] as const;
export type CounterName = (typeof COUNTERS)[number];
export const TOP_SELLERS = 'sold';

/**
 * The inventory's write-behind counters on the request path: the engine and the leaderboard from
 * @cachelab/cache on a fail-fast connection, through one CacheStore (the scripts and one circuit
 * breaker), so a Redis outage costs a request a quick CacheUnavailableError, not a timeout each.
 */
export class InventoryCounters {
  readonly store: CacheStore;
  readonly engine: WriteBehindCounter;
  readonly leaderboard: ShardedLeaderboard;

  constructor(
    redis: RedisClient,
    readonly config: WriteBehindConfig,
  ) {
    this.store = new CacheStore(redis, { name: 'write-behind' });
    const shards = config.WRITE_BEHIND_SHARDS;
    this.engine = new WriteBehindCounter(this.store, { namespace: config.namespace, shards, traceLinksPerShard: config.WRITE_BEHIND_TRACE_LINKS });
    this.leaderboard = new ShardedLeaderboard(this.store, { namespace: config.namespace, shards });
  }

  /** Counts one view of a (validated, known) SKU. */
  async view(sku: string, trace?: TraceRef): Promise<void> {
    await this.engine.record({ id: sku, counter: 'views', trace });
    incrementsRecorded.inc({ counter: 'views', store: 'redis' });
  }

  /** Counts `qty` units of a sale once per (orderId, SKU); false when this sale had already counted. */
  async sale(orderId: string, sku: string, qty: number, trace?: TraceRef): Promise<boolean> {
    const counted = await this.engine.record({ ...this.saleIncrement(orderId, sku, qty), trace });
    if (counted) incrementsRecorded.inc({ counter: 'sold', store: 'redis' }, qty);
    return counted;
  }

  /** Takes a sale back (its order was compensated): see WriteBehindCounter.revoke. */
  revokeSale(orderId: string, sku: string, qty: number): Promise<RevokeOutcome> {
    return this.engine.revoke(this.saleIncrement(orderId, sku, qty));
  }

  pending(sku: string): Promise<PendingView> {
    return this.engine.pending(sku, [...COUNTERS]);
  }

  topSellers(limit: number): Promise<RankEntry[]> {
    return this.leaderboard.top(TOP_SELLERS, limit);
  }

  close(): void {
    this.store.breaker.shutdown();
  }

  private saleIncrement(orderId: string, sku: string, qty: number) {
    return {
      id: sku,
      counter: 'sold',
      by: qty,
      ranking: TOP_SELLERS,
      once: { key: saleKey(orderId, sku), ttlSeconds: this.config.WRITE_BEHIND_SALE_DEDUP_HOURS * 3600 },
    };
  }
}

/**
 * A sale line's identity: the Redis marker's name, the once-key its increment carries in a batch,
 * and the AppliedBatch id Postgres records for it, whichever path counted it (record-sale.ts).
 */
export const saleKey = (orderId: string, sku: string): string => `sale:${sku}:${orderId}`;
