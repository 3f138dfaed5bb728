import { closeRedis, createRedis, pingRedis, type RedisConnectionConfig } from '@cachelab/redis';
import { createApp, rateLimit } from '@cachelab/http-kit';
import { createLogger } from '@cachelab/telemetry';
import type { Express } from 'express';
import { createCatalogCaches, type CatalogCaches } from './caching/catalog-caches';
import { ProductImport } from './caching/product-import';
import { ProductReads } from './caching/product-reads';
import { ProductWrites, type CatalogHooks } from './caching/product-writes';
import type { CatalogServiceConfig } from './config';
import { createPrisma, type Prisma } from './db/client';
import { importRoutes } from './http/import-routes';
import { listingRoutes } from './http/listing-routes';
import { productRoutes } from './http/product-routes';
import { tagRoutes } from './http/tag-routes';

export interface CatalogServiceOptions {
  /** Another Redis than the configured one (the tests' fault-injecting proxies). */
  redis?: RedisConnectionConfig;
  hooks?: CatalogHooks;
}

export interface CatalogService {
  app: Express;
  prisma: Prisma;
  caches: CatalogCaches;
  reads: ProductReads;
  writes: ProductWrites;
  /** Finishes background work, then closes Redis and the database pool. */
  close(): Promise<void>;
}

/**
 * Wires the catalog service; main.ts serves it, tests run it in-process. Waits (a few seconds at
 * most) for Redis, to build the Bloom filter and prove the near cache's subscription live.
 */
export async function createCatalogService(config: CatalogServiceConfig, options: CatalogServiceOptions = {}): Promise<CatalogService> {
  const logger = createLogger('catalog-service');
  const prisma = createPrisma(config.DATABASE_URL, { onPoolError: (error) => logger.warn({ err: error }, 'postgres pool error') });
  const redisConfig = options.redis ?? config.redis;
  const redis = createRedis(redisConfig, {
    purpose: 'cache',
    connectionName: 'catalog-service',
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
  });
  redis.on('error', (error: Error) => logger.debug({ err: error }, 'redis error')); // the breaker reports outages
  const caches = createCatalogCaches(redis, prisma, config, options.hooks);
  const reads = await ProductReads.create(caches, prisma, config, redisConfig);
  const writes = new ProductWrites(prisma, caches, reads, config, options.hooks);
  const productImport = new ProductImport(prisma, caches, reads, config);
  if (caches.enabled) caches.repairer.start();

  const app = createApp({
    serviceName: 'catalog-service',
    logger,
    // Imports of up to IMPORT_MAX_PRODUCTS products come in one JSON body.
    bodyLimit: config.BODY_LIMIT_BYTES,
    readiness: async () => ({
      redis: await pingRedis(redis),
      database: await prisma.$queryRaw`SELECT 1`.then(() => true, () => false),
    }),
    routes: (app) => {
      const limitWrites = rateLimit(caches.writeLimiter);
      importRoutes(app, productImport, config, limitWrites); // before /products/:id
      productRoutes(app, caches, reads, writes, limitWrites);
      listingRoutes(app, prisma, caches, config);
      tagRoutes(app, prisma, caches, reads, limitWrites);
    },
  });

  app.set('trust proxy', { false: false, true: true, loopback: 'loopback' }[config.TRUST_PROXY]);

  return {
    app,
    prisma,
    caches,
    reads,
    writes,
    async close() {
      await caches.repairer.stop();
      await reads.close();
      await Promise.all([caches.readThrough.settled(), caches.pages.settled(), caches.searches.settled()]);
      caches.readThrough.close();
      caches.pages.close();
      caches.searches.close();
      caches.generations.close();
      caches.store.breaker.shutdown();
      await closeRedis(redis);
      await prisma.$disconnect();
    },
  };
}
