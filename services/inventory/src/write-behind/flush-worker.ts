import type { WriteBehindCounter } from '@cachelab/cache';
import type { RedisClient } from '@cachelab/redis';
import type { Logger } from '@cachelab/telemetry';
import { Worker } from 'bullmq';
import type { Prisma } from '../db/client';
import type { WriteBehindConfig } from './config';
import { flushProcessor } from './flush-job';
import { createFlushQueue, FLUSH_QUEUE, queuePrefix, scheduleFlushes, type CounterJobData } from './queue';
import { pauseHooks } from './test-hooks';

export interface FlushWorker {
  /** Resolves once the job schedulers exist (the worker processes jobs meanwhile). */
  ready: Promise<void>;
  /**
   * Graceful stop: no new jobs are taken, the job in progress finishes its batch (claim, apply,
   * acknowledge), then the connections BullMQ opened are closed.
   */
  close(): Promise<void>;
}

export interface FlushWorkerDeps {
  /** A `purpose: 'queue'` connection (maxRetriesPerRequest: null, as BullMQ workers require). */
  connection: RedisClient;
  engine: WriteBehindCounter;
  prisma: Prisma;
  config: WriteBehindConfig;
  logger: Logger;
}

export function startFlushWorker(deps: FlushWorkerDeps): FlushWorker {
  const { config, logger } = deps;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const worker = new Worker<CounterJobData>(
    FLUSH_QUEUE,
    flushProcessor({ engine: deps.engine, prisma: deps.prisma, config, hooks: pauseHooks(config.WRITE_BEHIND_PAUSE_AT, released) }),
    { connection: deps.connection, prefix: queuePrefix(config), concurrency: config.WRITE_BEHIND_CONCURRENCY },
  );
  worker.on('error', (error) => logger.warn({ err: error }, 'flush worker error'));
  worker.on('failed', (job, error) =>
    logger.warn({ err: error, jobId: job?.id, shard: job?.data.shard, attempt: job?.attemptsMade }, 'flush job failed; it will be retried or kept as failed'),
  );

  // The schedulers are (re)created by every worker at start: idempotent, and it mends a chain of
  // scheduled jobs that a worker killed at the wrong moment may have broken.
  const scheduler = createFlushQueue(deps.connection, config);
  const ready = scheduleFlushes(scheduler, config).catch((error: unknown) => {
    logger.error({ err: error }, 'could not create the flush job schedulers');
    throw error;
  });
  ready.catch(() => undefined);

  let closing: Promise<void> | undefined;
  return {
    ready,
    close: () =>
      (closing ??= (async () => {
        release();
        await worker.close();
        await scheduler.close();
      })()),
  };
}
