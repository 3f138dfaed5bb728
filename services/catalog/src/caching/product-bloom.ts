import { BloomCoverage, BloomFilter, type CacheStore } from '@cachelab/cache';
import type { CatalogServiceConfig } from '../config';
import { PostgresBloomBacklog } from '../db/bloom-outbox';
import type { Prisma } from '../db/client';
import { productIdBatches } from '../db/products';

/**
 * The Bloom filter of product ids (bloom:{<prefix>products}:*), as the service and the seed script
 * both open it, and the keeper that keeps it covering the Product table through the BloomOutbox
 * table. See docs/patterns/bloom-filter.md.
 */
export function productBloomFilter(store: CacheStore, prisma: Prisma, config: CatalogServiceConfig): BloomFilter {
  return BloomFilter.create(store, {
    name: `${config.CACHE_KEY_PREFIX}products`,
    expectedItems: config.BLOOM_EXPECTED_ITEMS,
    falsePositiveRate: config.BLOOM_FALSE_POSITIVE_RATE,
    source: () => productIdBatches(prisma, 5_000),
  });
}

export function productBloomCoverage(bloom: BloomFilter, prisma: Prisma, config: CatalogServiceConfig): BloomCoverage {
  return new BloomCoverage(bloom, new PostgresBloomBacklog(prisma, config.DATABASE_URL), {
    drainEveryMs: config.BLOOM_DRAIN_EVERY_MS,
    staleAfterMs: config.BLOOM_COVERAGE_STALE_MS,
    auditEveryMs: config.BLOOM_AUDIT_EVERY_MS,
    maxAgeMs: config.BLOOM_MAX_AGE_MS,
  });
}
