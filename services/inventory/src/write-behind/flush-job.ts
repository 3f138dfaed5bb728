import type { Batch, FlushHooks, FlushReport, WriteBehindCounter } from '@cachelab/cache';
import { CacheAttributes, recordError, tracer, withSpan } from '@cachelab/telemetry';
import type { Job } from 'bullmq';
import type { Prisma } from '../db/client';
import { applyBatch, pruneAppliedBatches } from './apply-batch';
import type { WriteBehindConfig } from './config';
import { batchesFlushed, flushDuration } from './metrics';
import { FLUSH_JOB, PRUNE_JOB, type CounterJobData } from './queue';
import { linkedTraceIds, linksTo, WriteBehindAttributes as A } from './tracing';

export interface FlushJobDeps {
  /** The engine on the worker's own (queue) connection: it waits for Redis rather than failing fast. */
  engine: WriteBehindCounter;
  prisma: Prisma;
  config: WriteBehindConfig;
  hooks: FlushHooks;
}

/** What a job returns: BullMQ keeps it with the completed job (visible in Bull Board). */
export interface FlushSummary {
  shard: number;
  claimed: string | null;
  batches: { id: string; result: string; deltas: number; increments: number; links: number }[];
}

/** The span of one batch: linked to the request spans whose increments it persists. */
function applyTraced(prisma: Prisma, batch: Batch): Promise<'applied' | 'duplicate'> {
  const attributes = {
    [CacheAttributes.pattern]: 'write-behind',
    [A.shard]: batch.shard,
    [A.batchId]: batch.id,
    [A.deltas]: batch.deltas.length,
    [A.increments]: batch.increments,
    [A.links]: batch.traces.length,
    ...(batch.traces.length > 0 ? { [A.linkedTraces]: linkedTraceIds(batch.traces) } : {}),
  };
  return tracer.startActiveSpan('write-behind.apply', { attributes, links: linksTo(batch.traces) }, async (span) => {
    try {
      const result = await applyBatch(prisma, batch);
      span.setAttribute(A.batchResult, result);
      return result;
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

function summarize(report: FlushReport): FlushSummary {
  for (const batch of report.batches) batchesFlushed.inc({ result: batch.result });
  return {
    shard: report.shard,
    claimed: report.claimed,
    batches: report.batches.map(({ id, result, deltas, increments, traces }) => ({ id, result, deltas, increments, links: traces.length })),
  };
}

/**
 * The BullMQ processor. A flush job claims its shard's pending increments and applies every open
 * batch of the shard; a thrown error (Postgres down) makes BullMQ retry the job with backoff, and
 * the batch waits, open, in Redis meanwhile. Jobs carry no increments themselves, so a lost or
 * failed job loses nothing: the next flush of the shard finds the batch.
 */
export function flushProcessor(deps: FlushJobDeps) {
  return async (job: Job<CounterJobData>): Promise<FlushSummary | { pruned: number }> => {
    if (job.name === PRUNE_JOB) {
      return { pruned: await pruneAppliedBatches(deps.prisma, deps.config.WRITE_BEHIND_APPLIED_RETENTION_HOURS) };
    }
    const shard = job.data.shard;
    if (job.name !== FLUSH_JOB || !Number.isInteger(shard) || shard! < 0 || shard! >= deps.engine.shards) {
      throw new Error(`not a flush job of this worker's ${deps.engine.shards} shards: ${job.name} ${JSON.stringify(job.data)}`);
    }
    const attributes = { [CacheAttributes.pattern]: 'write-behind', [A.shard]: shard!, [A.jobId]: job.id ?? '', [A.attempt]: job.attemptsMade + 1 };
    const stop = flushDuration.startTimer();
    try {
      return await withSpan('write-behind.flush', attributes, async (span) => {
        const report = await deps.engine.flushShard(shard!, job.id ?? `job-${Date.now()}`, (batch) => applyTraced(deps.prisma, batch), deps.hooks);
        span.setAttribute(A.batches, report.batches.length);
        span.setAttribute(A.increments, report.batches.reduce((sum, batch) => sum + batch.increments, 0));
        return summarize(report);
      });
    } finally {
      stop();
    }
  };
}
