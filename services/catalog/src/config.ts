import { envInt, loadConfig, port, redisConfigFromEnv, serviceEnv, type Env } from '@cachelab/config';
import { z } from 'zod';

const catalogEnv = serviceEnv.extend({
  PORT: port.default(3002),
  /** `false` turns every cache off (x-cache: bypass): the Postgres-only baseline of the benchmarks. */
  CACHE_ENABLED: z.stringbool().default(true),
  /**
   * How product writes reach the cache: `write-through` writes the committed row; `invalidate`
   * only drops the entry (cache-aside), the comparison the benchmark measures.
   */
  WRITE_MODE: z.enum(['write-through', 'invalidate']).default('write-through'),
  PRODUCT_TTL_MS: envInt(1_000, 86_400_000).default(300_000),
  NEGATIVE_TTL_MS: envInt(0, 86_400_000).default(30_000),
  /** The in-process LRU in front of Redis for product reads (kept coherent over pub/sub). */
  NEAR_CACHE_ENABLED: z.stringbool().default(true),
  NEAR_CACHE_MAX_ENTRIES: envInt(1, 10_000_000).default(10_000),
  /** Longest a product is served from memory: bounds staleness when an invalidation message is lost. */
  NEAR_CACHE_TTL_MS: envInt(100, 3_600_000).default(30_000),
  /** Subscription liveness check period: bounds staleness when the subscription dies silently (3x this). */
  NEAR_CACHE_HEARTBEAT_MS: envInt(50, 60_000).default(1_000),
  /** A Bloom filter of existing product ids: ids that never existed are answered 404 without a lookup. */
  BLOOM_ENABLED: z.stringbool().default(true),
  /** Ids the filter is sized for: past it the false-positive rate climbs (rebuild bigger). */
  BLOOM_EXPECTED_ITEMS: envInt(1, 100_000_000).default(200_000),
  BLOOM_FALSE_POSITIVE_RATE: z.coerce.number().gt(0).lt(0.5).default(0.01),
  /** Rebuilt (by one instance: leased) when older than this, checked at start and every BLOOM_AUDIT_EVERY_MS: forgets deleted ids, resizes. */
  BLOOM_MAX_AGE_MS: envInt(60_000, 30 * 86_400_000).default(86_400_000),
  /**
   * The filter's outbox (ids committed by anyone, table BloomOutbox) is drained on every
   * notification and at least this often: an id inserted by plain SQL is known within this.
   */
  BLOOM_DRAIN_EVERY_MS: envInt(50, 60_000).default(1_000),
  /**
   * A "no" from the filter is answered 404 only while this instance's last successful drain
   * started less than this long ago; otherwise it is a bypass (looked up). More than
   * BLOOM_DRAIN_EVERY_MS. A create whose own add failed waits this + BLOOM_DRAIN_EVERY_MS + 500 ms
   * at most for another instance to drain it.
   */
  BLOOM_COVERAGE_STALE_MS: envInt(100, 600_000).default(2_500),
  /** How often the newest and some random products are checked against the filter (a "no" means lost bits: rebuild). */
  BLOOM_AUDIT_EVERY_MS: envInt(1_000, 86_400_000).default(60_000),
  /** Category pages: versioned keys, so the TTL only bounds the memory of unreachable generations. */
  PAGE_TTL_MS: envInt(1_000, 86_400_000).default(120_000),
  PAGE_SIZE: envInt(1, 200).default(20),
  /** Search results are invalidated by nothing but their TTL: keep it short. */
  SEARCH_TTL_MS: envInt(1_000, 3_600_000).default(30_000),
  LOCK_WAIT_MS: envInt(10, 60_000).default(3_000),
  /** A Redis command slower than this fails (and counts against the circuit breaker): the cache must not make requests wait. */
  REDIS_COMMAND_TIMEOUT_MS: envInt(10, 60_000).default(500),
  /**
   * Lifetime of the per-product counters (row-version high-water mark, invalidation counter) after
   * the last write. It only has to outlast the time between a commit and its cache write.
   */
  VERSION_TTL_MS: envInt(10_000, 7 * 86_400_000).default(3_600_000),
  /**
   * Prepended to every key namespace (`product` -> `<prefix>product`): separates environments that
   * share one Redis, such as the test suite and the native stack. Row versions restart when a
   * database is recreated: give the new one its own prefix (or flush Redis).
   */
  CACHE_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9._-]{0,32}$/, 'expected up to 32 of A-Z a-z 0-9 . _ -').default(''),
  /** Keys handled per batch when invalidating a tag or dropping imported entries. */
  CACHE_BATCH_SIZE: envInt(1, 10_000).default(500),
  /** How often this instance drains the repair log of failed write-throughs. */
  REPAIR_INTERVAL_MS: envInt(50, 600_000).default(1_000),
  /** Products in one POST /products/import. */
  IMPORT_MAX_PRODUCTS: envInt(1, 100_000).default(10_000),
  /** Largest request body, in bytes: an import of IMPORT_MAX_PRODUCTS products must fit. */
  BODY_LIMIT_BYTES: envInt(1_024, 256 * 1024 * 1024).default(16 * 1024 * 1024),
  /** See services/user: `loopback` reads the client address from X-Forwarded-For sent by a local proxy. */
  TRUST_PROXY: z.enum(['false', 'loopback', 'true']).default('false'),
  /** Writes (POST/PATCH/DELETE, imports, tag invalidations) per client within RATE_LIMIT_WINDOW_MS. */
  RATE_LIMIT_WRITES: envInt(1, 1_000_000).default(600),
  RATE_LIMIT_WINDOW_MS: envInt(100, 3_600_000).default(10_000),
});

export type CatalogServiceConfig = z.output<typeof catalogEnv> & { redis: ReturnType<typeof redisConfigFromEnv> };

/** Reads and validates the environment once; a bad value stops the service with a clear message. */
export function loadCatalogConfig(env: Env = process.env): CatalogServiceConfig {
  return { ...loadConfig(catalogEnv, env), redis: redisConfigFromEnv(env) };
}
