import { closeRedis, createRedis, pingRedis, type RedisConnectionConfig } from '@cachelab/redis';
import { createApp } from '@cachelab/http-kit';
import { createLogger } from '@cachelab/telemetry';
import type { Express } from 'express';
import { createUserCaches, type UserCaches } from './caching/user-caches';
import type { UserServiceConfig } from './config';
import { createPrisma, type Prisma } from './db/client';
import { labRoutes } from './http/lab-routes';
import { userRoutes } from './http/user-routes';

export interface UserService {
  app: Express;
  prisma: Prisma;
  caches: UserCaches;
  /** Finishes background refreshes, then closes Redis and the database pool. */
  close(): Promise<void>;
}

/** Wires the user service; main.ts serves it, tests run it in-process. */
export function createUserService(config: UserServiceConfig, redisOverride?: RedisConnectionConfig): UserService {
  const logger = createLogger('user-service');
  const prisma = createPrisma(config.DATABASE_URL, { onPoolError: (error) => logger.warn({ err: error }, 'postgres pool error') });
  const redis = createRedis(redisOverride ?? config.redis, {
    purpose: 'cache',
    connectionName: 'user-service',
    commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
  });
  redis.on('error', (error: Error) => logger.debug({ err: error }, 'redis error')); // the breaker reports outages
  const caches = createUserCaches(redis, config);

  const app = createApp({
    serviceName: 'user-service',
    logger,
    readiness: async () => ({
      redis: await pingRedis(redis),
      database: await prisma.$queryRaw`SELECT 1`.then(() => true, () => false),
    }),
    routes: (app) => {
      userRoutes(app, prisma, caches, config.CACHE_ENABLED);
      labRoutes(app, prisma, caches, config.CACHE_KEY_PREFIX);
    },
  });

  app.set('trust proxy', { false: false, true: true, loopback: 'loopback' }[config.TRUST_PROXY]);

  return {
    app,
    prisma,
    caches,
    async close() {
      await Promise.all([caches.profiles.settled(), caches.summaries.settled()]);
      caches.profiles.close();
      caches.summaries.close();
      caches.store.breaker.shutdown();
      await closeRedis(redis);
      await prisma.$disconnect();
    },
  };
}
