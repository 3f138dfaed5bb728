import {
  CacheAside,
  CacheRepairer,
  CacheStore,
  Generations,
  ReadThroughCache,
  SlidingWindowRateLimiter,
  TagIndex,
  VersionedCache,
  WriteThrough,
} from '@cachelab/cache';
import type { RedisClient } from '@cachelab/redis';
import type { CatalogServiceConfig } from '../config';
import type { Prisma } from '../db/client';
import type { CategoryPage, SearchPage } from '../db/listings';
import { findProduct, findProductIdBySku } from '../db/products';
import { PostgresRepairLog } from '../db/repair-log';
import { toProductView, type ProductView } from './product';
import type { CatalogHooks } from './product-writes';

/**
 * The caching decisions of the catalog, in one place:
 * - product:{id}:row      read-through (the loader is registered here, routes never see it), 5 min
 *                         TTL, "no such product" cached 30 s, stampede protection; written through
 *                         on every product write (write-through-3.lua, ordered by row version);
 *                         failed writes become repairs in the CacheRepair table.
 * - sku:{SKU-1}:id        read-through SKU -> id (for inventory), then the product entry.
 * - category:{7}:gen      generation of category 7's pages; catpage:{7.g<gen>.p<n>}:list the pages
 *                         (versioned keys: one INCR retires every page of the category).
 * - search:{<sha256>}:results  hashed keys for free text, short TTL, invalidated by nothing else.
 * - tag:{brand-acme}:keys the product entries carrying a tag (tag invalidation).
 * - writes: a sliding-window rate limit per client.
 */
export function createCatalogCaches(redis: RedisClient, prisma: Prisma, config: CatalogServiceConfig, hooks: CatalogHooks = {}) {
  const store = new CacheStore(redis, { name: 'catalog-redis' });
  const enabled = config.CACHE_ENABLED;
  const ns = (name: string) => `${config.CACHE_KEY_PREFIX}${name}`;
  const versionTtlMs = config.VERSION_TTL_MS;
  const common = { waitTimeoutMs: config.LOCK_WAIT_MS, enabled };

  const tags = new TagIndex(store, {
    namespace: ns('tag'),
    // A tag set must outlive the entries it lists; it is refreshed by every addition.
    ttlMs: 2 * config.PRODUCT_TTL_MS,
    batchSize: config.CACHE_BATCH_SIZE,
    bumpVersions: true,
    versionTtlMs,
  });

  const readThrough = new ReadThroughCache(store);
  const products = readThrough.register<ProductView>(ns('product'), {
    ...common,
    kind: 'row',
    versionTtlMs,
    ttlMs: config.PRODUCT_TTL_MS,
    negativeTtlMs: config.NEGATIVE_TTL_MS,
    load: async (id) => {
      // Read before the database: a tag invalidation from here on either finds the key in the tag's
      // set or is seen by `add` (tag-freeze-3.lua), even one that runs before the key is registered.
      const loadedAfter = enabled && !store.unavailable ? await tags.epoch().catch(() => 0) : 0;
      const row = await findProduct(prisma, id);
      const product = row && toProductView(row);
      await hooks.afterLoad?.({ namespace: 'product', id });
      if (enabled && product && product.tags.length > 0 && !store.unavailable) {
        // Registered before the entry is written. An entry Redis could not tag must not be cached
        // untagged (no invalidation of its tags would find it): its write-back is refused instead.
        await tags.add(products.keys(id).entry, product.tags, { loadedAfter }).catch(() => (store.unavailable ? undefined : products.invalidate(id)));
      }
      return product;
    },
  });
  const skus = readThrough.register<number, string>(ns('sku'), {
    ...common,
    kind: 'id',
    versionTtlMs,
    ttlMs: config.PRODUCT_TTL_MS,
    negativeTtlMs: config.NEGATIVE_TTL_MS,
    load: async (sku) => {
      const id = await findProductIdBySku(prisma, sku);
      await hooks.afterLoad?.({ namespace: 'sku', id: sku });
      return id;
    },
  });

  const repairLog = new PostgresRepairLog(prisma);
  const repairer = new CacheRepairer(store, repairLog, {
    intervalMs: config.REPAIR_INTERVAL_MS,
    versionTtlMs,
    // Past the TTL the stale entry is gone anyway.
    maxBypassMs: config.PRODUCT_TTL_MS,
  });
  const productWrites = new WriteThrough<ProductView>(store, products, repairer, {
    versionTtlMs,
    ttlMs: config.PRODUCT_TTL_MS,
    negativeTtlMs: config.NEGATIVE_TTL_MS,
  });

  const generations = new Generations(store, { namespace: ns('category'), maxPendingMs: config.PAGE_TTL_MS });
  const pages = new VersionedCache<CategoryPage>(store, generations, {
    namespace: ns('catpage'),
    kind: 'list',
    ttlMs: config.PAGE_TTL_MS,
    negativeTtlMs: config.NEGATIVE_TTL_MS,
    waitTimeoutMs: config.LOCK_WAIT_MS,
  });
  const searches = new CacheAside<SearchPage>(store, {
    namespace: ns('search'),
    versionTtlMs,
    kind: 'results',
    pattern: 'hashed-keys',
    ttlMs: config.SEARCH_TTL_MS,
    waitTimeoutMs: config.LOCK_WAIT_MS,
  });

  const writeLimiter = new SlidingWindowRateLimiter(store, {
    name: ns('catalog-writes'),
    limit: config.RATE_LIMIT_WRITES,
    windowMs: config.RATE_LIMIT_WINDOW_MS,
  });

  return { store, enabled, ns, readThrough, products, skus, productWrites, repairLog, repairer, generations, pages, searches, tags, writeLimiter };
}

export type CatalogCaches = ReturnType<typeof createCatalogCaches>;
