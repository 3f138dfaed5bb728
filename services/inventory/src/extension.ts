import type { RedisClient, RedisConnectionConfig } from '@cachelab/redis';
import type { Logger } from '@cachelab/telemetry';
import type { InventoryServiceConfig } from './config';
import type { Prisma } from './db/client';

/**
 * The seam between the stock half of the service and the write-behind counters
 * and leaderboard (`src/http/counter-routes.ts`). service.ts calls
 * `counterRoutes(app, deps)` once, while it mounts routes, and keeps what it returns.
 */
export interface CounterRouteDeps {
  config: InventoryServiceConfig;
  /**
   * The Redis topology to connect to: the config's, or the test's override (a ChaosRedis proxy).
   * Create your own connections from this (e.g. `purpose: 'queue'` for BullMQ), never from config.redis.
   */
  redisConfig: RedisConnectionConfig;
  /** The service's shared fail-fast connection, with every `lua/*.lua` script defined on it. */
  redis: RedisClient;
  prisma: Prisma;
  logger: Logger;
}

/** A sale the stock side reports once per successful, first-time reservation (one per order line). */
export interface Sale {
  orderId: string;
  sku: string;
  qty: number;
}

export interface CounterExtension {
  /**
   * Counts units sold. Called after the reservation is durable, before the client is answered;
   * must be idempotent per (orderId, sku), because a replayed reservation that healed a crash
   * window reports its sale again. A rejection is logged and does not fail the reservation.
   */
  recordSale(sale: Sale): Promise<void>;
  /**
   * Takes a sale back: its order failed and compensation returned the line's units. Idempotent;
   * a no-op for a sale that never counted. A rejection is logged (the sale then stays counted).
   */
  revokeSale(sale: Sale): Promise<void>;
  /** Extra /readyz checks (name -> up), merged into the service's own. */
  readiness?(): Promise<Record<string, boolean>>;
  /** Called by the service's close(), before the shared Redis connection and Prisma are closed. */
  close(): Promise<void>;
}
