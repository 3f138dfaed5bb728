import { createApp } from '@cachelab/http-kit';
import { closeRedis, createRedis, pingRedis, type RedisClient, type RedisConnectionConfig } from '@cachelab/redis';
import { createLogger } from '@cachelab/telemetry';
import type { Express } from 'express';
import { CatalogClient } from './catalog/catalog-client';
import type { InventoryServiceConfig } from './config';
import { createPrisma, type Prisma } from './db/client';
import type { CounterExtension } from './extension';
import { counterRoutes } from './http/counter-routes';
import { labRoutes } from './http/lab-routes';
import { stockRoutes } from './http/stock-routes';
import { LabStrategies } from './lab/strategies';
import { startPruning } from './stock/prune';
import { Reservations } from './stock/reservations';
import { StockLoader } from './stock/stock-loader';
import { StockStore } from './stock/stock-store';

export interface InventoryService {
  app: Express;
  prisma: Prisma;
  /** The shared fail-fast connection (every lua/ script defined on it). */
  redis: RedisClient;
  store: StockStore;
  loader: StockLoader;
  reservations: Reservations;
  /** What the counters side's counterRoutes returned (write-behind counters, leaderboard). */
  counters: CounterExtension;
  /** Closes the write-behind side first, then the lab connections, Redis, the catalog client and Postgres. */
  close(): Promise<void>;
}

/** Wires the inventory service; main.ts serves it, tests run it in-process. */
export function createInventoryService(config: InventoryServiceConfig, redisOverride?: RedisConnectionConfig): InventoryService {
  const logger = createLogger('inventory-service');
  const redisConfig = redisOverride ?? config.redis;
  const prisma = createPrisma(config.DATABASE_URL, {
    poolSize: config.DATABASE_POOL_SIZE,
    onPoolError: (error) => logger.warn({ err: error }, 'postgres pool error'),
  });
  const redis = createRedis(redisConfig, {
    purpose: 'cache',
    connectionName: 'inventory-service',
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
  });
  redis.on('error', (error: Error) => logger.debug({ err: error }, 'redis error')); // requests report outages as 503
  const store = new StockStore(redis); // defines every lua/*.lua script on `redis`, the counters side's too
  const loader = new StockLoader(store, prisma, logger);
  const catalog = new CatalogClient(config.CATALOG_URL, config.CATALOG_TIMEOUT_MS, config.CATALOG_REMEMBER_MS);
  const lab = new LabStrategies(redis, {
    watchConnections: config.LAB_WATCH_CONNECTIONS,
    watchMaxAttempts: config.LAB_WATCH_MAX_ATTEMPTS,
  });

  // Set while routes are mounted (createApp calls `routes` synchronously), before any request.
  let counters: CounterExtension | undefined;
  const reservations = new Reservations({
    store,
    loader,
    prisma,
    catalog,
    recordSale: (sale) => counters!.recordSale(sale),
    revokeSale: (sale) => counters!.revokeSale(sale),
    logger,
  });

  const stopPruning = startPruning(
    { store, prisma, logger },
    { retentionHours: config.RESERVATION_RETENTION_HOURS, everyMs: config.RESERVATION_PRUNE_EVERY_MS },
  );

  const app = createApp({
    serviceName: 'inventory-service',
    logger,
    readiness: async () => ({
      redis: await pingRedis(redis),
      database: await prisma.$queryRaw`SELECT 1`.then(() => true, () => false),
      ...(await counters?.readiness?.()),
    }),
    routes: (app) => {
      stockRoutes(app, reservations, config);
      labRoutes(app, lab, config);
      counters = counterRoutes(app, { config, redisConfig, redis, prisma, logger });
    },
  });

  return {
    app,
    prisma,
    redis,
    store,
    loader,
    reservations,
    counters: counters!,
    async close() {
      stopPruning();
      await counters!.close();
      await lab.close();
      await closeRedis(redis);
      redis.disconnect(); // quit() leaves the Sentinel failover detector's sockets open (ioredis#1362)
      catalog.close();
      await prisma.$disconnect();
    },
  };
}
