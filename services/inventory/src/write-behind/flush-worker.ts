import type { WriteBehindCounter } from '@cachelab/cache';
import type { RedisClient } from '@cachelab/redis';
import type { Logger } from '@cachelab/telemetry';
import { Worker } from 'bullmq';
import type { Prisma } from '../db/client';
import type { WriteBehindConfig } from './config';
import { flushProcessor } from './flush-job';
import { createFlushQueue, FLUSH_QUEUE, queuePrefix, scheduleFlushes, type CounterJobData } from './queue';
import { settlesWithin } from './settles-within';
import { pauseHooks } from './test-hooks';

const SCHEDULER_CHECK_MS = 30_000;

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

/**
 * BullMQ opens its blocking connection with `duplicate()` on the connection it is given; keeping
 * the copies lets a stalled close cut them (a connection that retries forever would otherwise
 * wait for Redis to come back before it can even quit).
 */
function trackDuplicates(client: RedisClient): RedisClient[] {
  const copies: RedisClient[] = [];
  const duplicate = client.duplicate.bind(client) as (...args: unknown[]) => RedisClient;
  Object.assign(client, {
    duplicate: (...args: unknown[]) => {
      const copy = duplicate(...args);
      copies.push(copy);
      return copy;
    },
  });
  return copies;
}

/** About 30 s of retries with backoff. */
const SCHEDULE_ATTEMPTS = 8;

export function startFlushWorker(deps: FlushWorkerDeps): FlushWorker {
  const { config, logger, connection } = deps;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const duplicates = trackDuplicates(connection);
  const worker = new Worker<CounterJobData>(
    FLUSH_QUEUE,
    flushProcessor({ engine: deps.engine, prisma: deps.prisma, config, hooks: pauseHooks(config.WRITE_BEHIND_PAUSE_AT, released) }),
    { connection, prefix: queuePrefix(config), concurrency: config.WRITE_BEHIND_CONCURRENCY },
  );
  worker.on('error', (error) => logger.warn({ err: error }, 'flush worker error'));
  worker.on('failed', (job, error) =>
    logger.warn({ err: error, jobId: job?.id, shard: job?.data.shard, attempt: job?.attemptsMade }, 'flush job failed; it will be retried or kept as failed'),
  );

  // The schedulers are (re)created by every worker at start: idempotent, and it mends a chain of
  // scheduled jobs that a worker killed at the wrong moment may have broken.
  const scheduler = createFlushQueue(connection, config);
  scheduler.on('error', (error: Error) => logger.debug({ err: error }, 'flush scheduler error'));
  // A failover or a resharding at start answers MOVED/CLUSTERDOWN for a few seconds: retry
  // with backoff before giving up, rather than dying on a passing topology change.
  const ready = (async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await scheduleFlushes(scheduler, config);
      } catch (error) {
        if (attempt >= SCHEDULE_ATTEMPTS) {
          logger.error({ err: error, attempts: attempt }, 'could not create the flush job schedulers');
          throw error;
        }
        logger.warn({ err: error, attempt }, 'creating the flush job schedulers failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 5_000)));
      }
    }
  })();
  ready.catch(() => undefined);

  // A Redis that lost its data (a restart without persistence) loses the schedulers too, and
  // nothing would flush again until a worker restarts: check, and put them back.
  let checking = false;
  const watchdog = setInterval(() => {
    if (checking) return;
    checking = true;
    scheduler
      .getJobSchedulersCount()
      .then(async (count) => {
        if (count >= config.WRITE_BEHIND_SHARDS + 1) return;
        logger.warn({ found: count }, 'flush job schedulers missing; creating them again');
        await scheduleFlushes(scheduler, config);
      })
      .catch((error: unknown) => logger.debug({ err: error }, 'scheduler check failed'))
      .finally(() => (checking = false));
  }, SCHEDULER_CHECK_MS);
  watchdog.unref();

  async function close(): Promise<void> {
    clearInterval(watchdog);
    release();
    const closed = worker.close();
    if (!(await settlesWithin(closed, config.WRITE_BEHIND_SHUTDOWN_GRACE_MS))) {
      // Redis or Postgres is not answering: the batch in progress stays open in Redis and the
      // next flush of its shard applies it. Cut the connections so that closing can end.
      logger.warn({ graceMs: config.WRITE_BEHIND_SHUTDOWN_GRACE_MS }, 'flush worker did not stop in time; disconnecting it');
      connection.disconnect();
      for (const copy of duplicates) copy.disconnect();
      await settlesWithin(closed, 2_000);
    }
    await settlesWithin(scheduler.close(), 1_000);
  }

  let closing: Promise<void> | undefined;
  return { ready, close: () => (closing ??= close()) };
}
