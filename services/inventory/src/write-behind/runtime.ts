import { CacheStore, WriteBehindCounter } from '@cachelab/cache';
import type { Env } from '@cachelab/config';
import { closeRedis, createRedis, pingRedis, type RedisConnectionConfig } from '@cachelab/redis';
import type { Logger } from '@cachelab/telemetry';
import type { Queue } from 'bullmq';
import type { Prisma } from '../db/client';
import { loadWriteBehindConfig, type WriteBehindConfig } from './config';
import { InventoryCounters } from './counters';
import { startFlushWorker, type FlushWorker } from './flush-worker';
import { KnownSkus } from './known-skus';
import { createFlushQueue, type CounterJobData } from './queue';
import { writeBehindRedisConfig } from './redis-target';
import { settlesWithin } from './settles-within';

export interface WriteBehindDeps {
  env: Env;
  databaseUrl: string;
  /** The service's Redis topology (or a test's override of it). */
  serviceRedis: RedisConnectionConfig;
  prisma: Prisma;
  logger: Logger;
  /** Run the flush worker here; defaults to WORKER_ENABLED. */
  startWorker?: boolean;
}

export interface WriteBehind {
  config: WriteBehindConfig;
  /** Request path: record and read, fail fast. */
  counters: InventoryCounters;
  knownSkus: KnownSkus;
  /** The flush queue, for Bull Board and for tests that want to flush now. */
  queue: Queue<CounterJobData>;
  worker: FlushWorker | undefined;
  /** The engine on the queue connection (waits for Redis instead of failing). */
  flushEngine: WriteBehindCounter;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Two connections to the write-behind Redis: a fail-fast one for the request path (a request
 * must not hang on Redis) and a `queue` one for BullMQ and the flush (which should wait for Redis
 * to come back rather than fail). BullMQ's worker adds its own blocking connection.
 */
export function createWriteBehind(deps: WriteBehindDeps): WriteBehind {
  const config = loadWriteBehindConfig(deps.env, deps.databaseUrl);
  const target = writeBehindRedisConfig(config.WRITE_BEHIND_REDIS_MODE, deps.serviceRedis, deps.env);
  const requests = createRedis(target, {
    purpose: 'cache',
    connectionName: 'inventory-write-behind',
    commandTimeoutMs: config.WRITE_BEHIND_COMMAND_TIMEOUT_MS,
  });
  const queueConnection = createRedis(target, { purpose: 'queue', connectionName: 'inventory-write-behind-queue' });
  for (const client of [requests, queueConnection]) {
    client.on('error', (error: Error) => deps.logger.debug({ err: error }, 'write-behind redis error'));
  }
  const counters = new InventoryCounters(requests, config);
  // The flush has a breaker of its own: a Redis outage fails its jobs fast (BullMQ retries them).
  const flushEngine = new WriteBehindCounter(new CacheStore(queueConnection, { name: 'write-behind-flush' }), {
    namespace: config.namespace,
    shards: config.WRITE_BEHIND_SHARDS,
    traceLinksPerShard: config.WRITE_BEHIND_TRACE_LINKS,
  });
  const queue = createFlushQueue(queueConnection, config);
  queue.on('error', (error: Error) => deps.logger.debug({ err: error }, 'flush queue error'));
  const worker =
    (deps.startWorker ?? config.WORKER_ENABLED)
      ? startFlushWorker({ connection: queueConnection, engine: flushEngine, prisma: deps.prisma, config, logger: deps.logger })
      : undefined;

  let closing: Promise<void> | undefined;
  return {
    config,
    counters,
    knownSkus: new KnownSkus(deps.prisma, config.WRITE_BEHIND_SKU_REFRESH_MS),
    queue,
    worker,
    flushEngine,
    ping: () => pingRedis(requests),
    close: () =>
      (closing ??= (async () => {
        await worker?.close();
        await settlesWithin(queue.close(), 1_000);
        counters.close();
        flushEngine.store.breaker.shutdown();
        await Promise.all([closeRedis(requests), closeRedis(queueConnection)]);
      })()),
  };
}
