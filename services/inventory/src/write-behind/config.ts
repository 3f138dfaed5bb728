import { envInt, loadConfig, optionalVar, type Env } from '@cachelab/config';
import { databaseName } from '@cachelab/db';
import { z } from 'zod';

/**
 * The write-behind variables, read from the same environment as the service's own config
 * (`InventoryServiceConfig.env`), so tests override them the same way.
 */
const writeBehindEnv = z.object({
  /**
   * `false` writes views (and sales) straight to Postgres, one statement each, instead of counting
   * them in Redis: the write-through baseline of the benchmarks.
   */
  WRITE_BEHIND_ENABLED: z.stringbool().default(true),
  /** Run the flush worker inside the service process; `false` when a standalone `src/worker.ts` runs it. */
  WORKER_ENABLED: z.stringbool().default(true),
  /**
   * Which Redis holds the pending counters and the BullMQ queue. The Sentinel group by default,
   * whatever REDIS_MODE says: it is the stack's only Redis with an append-only file, and pending
   * counters are the only copy of acknowledged views until they are flushed
   * (docs/patterns/write-behind.md, "Which Redis"). Set it to REDIS_MODE to keep one topology.
   */
  WRITE_BEHIND_REDIS_MODE: z.enum(['cluster', 'sentinel', 'standalone']).default('sentinel'),
  /**
   * Key prefix of the counters and hash tag of the queue. By default derived from the database,
   * so two deployments that share a Redis but not a database never flush each other's batches.
   */
  WRITE_BEHIND_NAMESPACE: optionalVar(z.string().regex(/^[A-Za-z0-9._-]{1,48}$/, 'expected 1-48 letters, digits, . _ -')),
  WRITE_BEHIND_SHARDS: envInt(1, 256).default(16),
  /**
   * How long a request waits for Redis to count its increment before answering 503. A refused
   * increment may still have been counted (the command reached Redis, the reply did not come
   * back in time), so this is generous: a busy Redis should slow views down, not refuse them.
   */
  WRITE_BEHIND_COMMAND_TIMEOUT_MS: envInt(50, 60_000).default(2_000),
  /** How often each shard is flushed (one BullMQ job scheduler per shard). */
  WRITE_BEHIND_FLUSH_EVERY_MS: envInt(50, 3_600_000).default(1_000),
  /** Flush jobs one worker process runs at once. */
  WRITE_BEHIND_CONCURRENCY: envInt(1, 64).default(4),
  /** Attempts of one flush job before BullMQ marks it failed (its batch stays open for the next flush). */
  WRITE_BEHIND_ATTEMPTS: envInt(1, 100).default(5),
  /** First retry delay; doubled at each attempt. */
  WRITE_BEHIND_BACKOFF_MS: envInt(10, 600_000).default(1_000),
  /** Failed jobs kept for inspection in Bull Board (the newest ones). */
  WRITE_BEHIND_KEEP_FAILED: envInt(0, 1_000_000).default(1_000),
  WRITE_BEHIND_KEEP_COMPLETED: envInt(0, 1_000_000).default(200),
  /**
   * On shutdown, how long the flush in progress may take to finish its batch before the worker's
   * connections are cut (the batch then stays open in Redis for the next flush).
   */
  WRITE_BEHIND_SHUTDOWN_GRACE_MS: envInt(0, 60_000).default(5_000),
  /** How long a sale's idempotency marker lives: a replay of the same (orderId, SKU) within it counts once. */
  WRITE_BEHIND_SALE_DEDUP_HOURS: envInt(1, 24 * 365).default(24 * 7),
  /**
   * Views of a SKU missing from the in-memory SKU list reload it from Postgres at most this
   * often: a SKU added less than this ago may be answered 404 once.
   */
  WRITE_BEHIND_SKU_REFRESH_MS: envInt(0, 3_600_000).default(1_000),
  /** Request span contexts kept per shard, linked from the flush that persists them. */
  WRITE_BEHIND_TRACE_LINKS: envInt(0, 128).default(32),
  /** AppliedBatch rows older than this are deleted; a batch left open in Redis longer could then apply twice. */
  WRITE_BEHIND_APPLIED_RETENTION_HOURS: envInt(1, 24 * 365).default(24 * 7),
  /**
   * Test hook: the worker stops after claiming its first batch (`claimed`) or after committing it
   * (`applied`), prints `write-behind paused <stage> <batchId>` and waits for SIGTERM (which lets
   * it finish) or SIGKILL. Never set in production.
   */
  WRITE_BEHIND_PAUSE_AT: optionalVar(z.enum(['claimed', 'applied'])),
});

export type WriteBehindConfig = z.output<typeof writeBehindEnv> & { namespace: string };

export function loadWriteBehindConfig(env: Env, databaseUrl: string): WriteBehindConfig {
  const parsed = loadConfig(writeBehindEnv, env);
  const namespace = parsed.WRITE_BEHIND_NAMESPACE ?? `wb-${databaseName(databaseUrl).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 45)}`;
  return { ...parsed, namespace };
}
