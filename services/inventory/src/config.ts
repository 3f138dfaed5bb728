import { envInt, loadConfig, port, redisConfigFromEnv, serviceEnv, type Env } from '@cachelab/config';
import { z } from 'zod';

const inventoryEnv = serviceEnv.extend({
  PORT: port.default(3003),
  /** catalog-service, asked whether a SKU exists before it is reserved. */
  CATALOG_URL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).default('http://127.0.0.1:3002'),
  /** A slower catalog answer counts as "catalog down" (503 catalog_unavailable). */
  CATALOG_TIMEOUT_MS: envInt(10, 60_000).default(500),
  /** How long a SKU the catalog confirmed is remembered (0: ask for every reservation). */
  CATALOG_REMEMBER_MS: envInt(0, 3_600_000).default(5_000),
  /** Largest quantity one reservation, release or restock may move (validated before any script runs). */
  MAX_QTY: envInt(1, 1_000_000).default(1_000),
  /** Largest number of lines in one POST /orders. */
  MAX_ORDER_LINES: envInt(1, 500).default(50),
  /** Rebuild missing Redis stock from Postgres at start (never overwriting live stock). */
  LOAD_STOCK_ON_START: z.stringbool().default(true),
  /**
   * A reservation present in Redis but not in Postgres is an orphan (its request died between
   * the two writes) only once it is older than this; younger ones may still be in flight.
   */
  RECONCILE_GRACE_MS: envInt(0, 86_400_000).default(30_000),
  /**
   * Released reservations are kept this long (Postgres rows and the Redis `released` hash), so a
   * replay of that order is recognised; then pruned. An order id replayed later counts as new.
   */
  RESERVATION_RETENTION_HOURS: envInt(1, 24 * 3650).default(24 * 30),
  /** How often the service prunes released reservations past the retention (0: never). */
  RESERVATION_PRUNE_EVERY_MS: envInt(0, 86_400_000).default(3_600_000),
  /** Redis command timeout for stock commands. */
  REDIS_COMMAND_TIMEOUT_MS: envInt(50, 60_000).default(1_000),
  /** Dedicated connections for the /lab WATCH strategy (WATCH state lives on a connection). */
  LAB_WATCH_CONNECTIONS: envInt(1, 256).default(16),
  /** Optimistic retries of one WATCH reservation before it gives up with 503. */
  LAB_WATCH_MAX_ATTEMPTS: envInt(1, 1_000_000).default(1_000),
  /** Postgres connections of this process. */
  DATABASE_POOL_SIZE: envInt(1, 100).default(10),
});

export type InventoryServiceConfig = z.output<typeof inventoryEnv> & {
  redis: ReturnType<typeof redisConfigFromEnv>;
  /**
   * The environment this config was read from, so that modules with their own variables
   * (the write-behind worker) parse them from the same source the tests override.
   */
  env: Env;
};

/** Reads and validates the environment once; a bad value stops the service with a clear message. */
export function loadInventoryConfig(env: Env = process.env): InventoryServiceConfig {
  return { ...loadConfig(inventoryEnv, env), redis: redisConfigFromEnv(env), env };
}
