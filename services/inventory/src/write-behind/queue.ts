import { shardTag } from '@cachelab/cache';
import type { RedisClient } from '@cachelab/redis';
import { Queue, type JobsOptions } from 'bullmq';
import type { WriteBehindConfig } from './config';

export const FLUSH_QUEUE = 'counter-flush';
export const FLUSH_JOB = 'flush';
export const PRUNE_JOB = 'prune-applied-batches';

/** A flush job names its shard; the prune job carries nothing. */
export interface CounterJobData {
  shard?: number;
}

/**
 * BullMQ keys are `<prefix>:<queue>:<suffix>`. A prefix in braces is a Cluster hash tag: every key
 * of the queue lands in one slot, which BullMQ's scripts (each touching many of them) need. On
 * the Sentinel group the braces are just characters.
 */
export const queuePrefix = (config: WriteBehindConfig): string => `{${config.namespace}}`;

export function createFlushQueue(connection: RedisClient, config: WriteBehindConfig): Queue<CounterJobData> {
  return new Queue<CounterJobData>(FLUSH_QUEUE, { connection, prefix: queuePrefix(config) });
}

export function flushJobOptions(config: WriteBehindConfig): JobsOptions {
  return {
    attempts: config.WRITE_BEHIND_ATTEMPTS,
    backoff: { type: 'exponential', delay: config.WRITE_BEHIND_BACKOFF_MS },
    removeOnComplete: { count: config.WRITE_BEHIND_KEEP_COMPLETED },
    // Failed jobs stay for inspection (Bull Board, /admin/queues). Their batches do not depend on
    // them: a batch stays open in Redis until some flush of its shard applies it.
    removeOnFail: { count: config.WRITE_BEHIND_KEEP_FAILED },
  };
}

const schedulerId = (shard: number, shards: number): string => `flush-${shardTag(shard, shards)}`;

/**
 * One job scheduler per shard, every WRITE_BEHIND_FLUSH_EVERY_MS, plus an hourly prune of old
 * AppliedBatch rows. Upserting is idempotent, so every worker does it at start; schedulers of
 * shards that no longer exist (WRITE_BEHIND_SHARDS lowered) are removed.
 */
export async function scheduleFlushes(queue: Queue<CounterJobData>, config: WriteBehindConfig): Promise<void> {
  const shards = config.WRITE_BEHIND_SHARDS;
  const opts = flushJobOptions(config);
  const wanted = new Set<string>([PRUNE_JOB]);
  for (let shard = 0; shard < shards; shard += 1) {
    const id = schedulerId(shard, shards);
    wanted.add(id);
    await queue.upsertJobScheduler(id, { every: config.WRITE_BEHIND_FLUSH_EVERY_MS }, { name: FLUSH_JOB, data: { shard }, opts });
  }
  await queue.upsertJobScheduler(PRUNE_JOB, { every: 3_600_000 }, { name: PRUNE_JOB, data: {}, opts });
  for (const scheduler of await queue.getJobSchedulers()) {
    if (scheduler.key && !wanted.has(scheduler.key)) await queue.removeJobScheduler(scheduler.key);
  }
}
