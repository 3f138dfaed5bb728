import { NearCache, type BloomCoverage, type BloomFilter, type CacheRead, type CacheResult, type CreatedOutcome, type NearResult } from '@cachelab/cache';
import { waitForReady, type RedisConnectionConfig } from '@cachelab/redis';
import { withSpan } from '@cachelab/telemetry';
import type { CatalogServiceConfig } from '../config';
import type { Prisma } from '../db/client';
import type { CatalogCaches } from './catalog-caches';
import { productBloomCoverage, productBloomFilter } from './product-bloom';
import type { ProductView } from './product';

export interface ProductRead {
  value: ProductView | null;
  /** The x-cache header: `hit` when memory or Redis answered, `negative` for a Bloom "no". */
  result: CacheResult;
  /** x-near-cache: hit (memory), miss (asked Redis), bypass (subscription not live), off. */
  near: NearResult | 'off';
  /**
   * x-bloom: negative (certainly absent), miss ("maybe": looked up), bypass (could not answer, or
   * this instance could not vouch for its filter covering the database: see BloomCoverage),
   * skipped (the near cache held the product: it exists), off.
   */
  bloom: 'negative' | 'miss' | 'bypass' | 'skipped' | 'off';
}

/**
 * The layers in front of the Redis-level product cache:
 * - a Bloom filter of every product id ever created: an id it has never seen is answered 404
 *   without touching cached values or Postgres (a scan of random ids costs one bit lookup each).
 *   Its coverage keeper drains the BloomOutbox table (filled by a trigger, whoever inserts) into
 *   it, and a "no" is trusted only while this instance is `covered`;
 * - a near cache: an in-process LRU, kept coherent across instances by invalidation messages
 *   over (sharded) pub/sub, answering hot products without a network round trip.
 *
 *   GET /products/:id ─► near cache ─ hit ───────────────────────────────► row   x-near-cache: hit
 *                        └ miss ─► Bloom: never seen ───────────────────────► 404   x-bloom: negative
 *                                  └ maybe ─► read-through (Redis, then the loader) ► row
 *
 * The near cache goes first because it touches no server at all and only ever holds products
 * that exist; the Bloom filter then still stands before every Redis value and Postgres.
 */
export class ProductReads {
  private constructor(
    private readonly caches: CatalogCaches,
    readonly near: NearCache<ProductView> | undefined,
    readonly bloom: BloomFilter | undefined,
    readonly coverage: BloomCoverage | undefined,
  ) {}

  static async create(caches: CatalogCaches, prisma: Prisma, config: CatalogServiceConfig, redis: RedisConnectionConfig): Promise<ProductReads> {
    if (!caches.enabled) return new ProductReads(caches, undefined, undefined, undefined);
    // Both need Redis to start well: the filter is (re)built, the subscription proven live.
    await waitForReady(caches.store.redis, 10_000).catch(() => undefined);
    const near = config.NEAR_CACHE_ENABLED
      ? await NearCache.create<ProductView>(caches.store, {
          name: caches.ns('products'),
          redis,
          maxEntries: config.NEAR_CACHE_MAX_ENTRIES,
          ttlMs: config.NEAR_CACHE_TTL_MS,
          heartbeatMs: config.NEAR_CACHE_HEARTBEAT_MS,
        })
      : undefined;
    const bloom = config.BLOOM_ENABLED ? productBloomFilter(caches.store, prisma, config) : undefined;
    const coverage = bloom && productBloomCoverage(bloom, prisma, config);
    // Builds the filter if missing or too old, drains the outbox, audits; then keeps doing so.
    await coverage?.start();
    const reads = new ProductReads(caches, near, bloom, coverage);
    // A repair applied here (a write-through that failed elsewhere) concerns every near cache too.
    if (near) caches.repairer.onApplied((repairs) => near.invalidate(repairs.map((repair) => repair.id)));
    return reads;
  }

  get(id: number): Promise<ProductRead> {
    return withSpan('catalog.product.read', { 'cache.pattern': 'read-through' }, async (span) => {
      const read = await this.read(id);
      span.setAttributes({ 'cache.result': read.result, 'catalog.near': read.near, 'catalog.bloom': read.bloom });
      return read;
    });
  }

  /** After a product's cache entry was written or dropped: other instances drop their copy. */
  async invalidate(ids: number | readonly number[]): Promise<void> {
    const list = Array.isArray(ids) ? ids : [ids as number];
    if (this.near && list.length > 0) await this.near.invalidate(list);
  }

  /** After a change too wide to list (a tag invalidation): every instance empties its near cache. */
  async invalidateAll(): Promise<void> {
    await this.near?.invalidateAll();
  }

  /**
   * After the commit that created `ids`, before answering: from then on no instance answers
   * "absent" for them (added here, or, if this instance cannot reach Redis, drained from the
   * outbox by another one; see BloomCoverage.created).
   */
  async created(ids: readonly number[]): Promise<CreatedOutcome | 'off'> {
    if (!this.coverage || ids.length === 0) return 'off';
    return this.coverage.created(ids);
  }

  async close(): Promise<void> {
    await this.coverage?.stop();
    await this.near?.close();
  }

  private async read(id: number): Promise<ProductRead> {
    let bloom: ProductRead['bloom'] = this.bloom ? 'skipped' : 'off';
    const throughRedis = async (): Promise<CacheRead<ProductView>> => {
      if (this.coverage) {
        bloom = (await this.coverage.check(id)).result;
        if (bloom === 'negative') return { value: null, result: 'negative' };
      }
      return this.caches.products.get(id);
    };
    if (!this.near) return { ...(await throughRedis()), near: 'off', bloom };
    const read = await this.near.getOrLoad(id, throughRedis);
    return { value: read.value, result: read.near === 'hit' ? 'hit' : read.result, near: read.near, bloom };
  }
}
