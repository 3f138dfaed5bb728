import { WriteBehindCounter } from '@cachelab/cache';
import { closeRedis, createRedis, waitForReady, type RedisClient, type RedisConnectionConfig } from '@cachelab/redis';
import { testRedisConfig, testRedisMode, uniqueName, waitFor } from '@cachelab/testing';
import { Pool } from 'pg';
import { testDatabaseUrl } from '../helpers/db';
import { startInventoryService, testEnv, type RunningService } from './inventory-service';

/**
 * Write-behind settings for one test file: the suite's Redis topology (REDIS_MODE) for the
 * counters and the queue, so the cluster run exercises BullMQ on the Cluster; a namespace of its
 * own, so no other worker (another test's, the running stack's) flushes its batches; fast flushes
 * and retries.
 */
export function writeBehindEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    WRITE_BEHIND_REDIS_MODE: testRedisMode(),
    WRITE_BEHIND_NAMESPACE: uniqueName('wbt'),
    WRITE_BEHIND_SHARDS: '4',
    WRITE_BEHIND_FLUSH_EVERY_MS: '100',
    WRITE_BEHIND_BACKOFF_MS: '50',
    WRITE_BEHIND_ATTEMPTS: '3',
    WRITE_BEHIND_SKU_REFRESH_MS: '0',
    WRITE_BEHIND_SHUTDOWN_GRACE_MS: '1000',
    ...overrides,
  };
}

/**
 * The inventory service in-process with these write-behind settings, once /readyz says its
 * write-behind Redis answers too (its connections are its own, and fail fast until ready).
 */
export async function startCountersService(wb: Record<string, string>, redis?: RedisConnectionConfig): Promise<RunningService> {
  const svc = await startInventoryService(wb, redis);
  await waitFor(async () => (await fetch(`${svc.url}/readyz`)).ok, { timeoutMs: 20_000, what: 'the inventory service to be ready' });
  return svc;
}

/** The whole environment of a standalone worker process (src/worker.ts). */
export const workerEnv = (wb: Record<string, string>): Record<string, string> => testEnv({ ...wb, LOG_LEVEL: 'info' });

const pool = new Pool({ connectionString: testDatabaseUrl, max: 2 });

/** Stock rows for these SKUs, so that the service knows them (views of unknown SKUs are 404). */
export async function stockRows(skus: string[]): Promise<void> {
  await pool.query(
    `INSERT INTO "Stock" ("sku", "total", "updatedAt") SELECT unnest($1::varchar[]), 0, now() ON CONFLICT DO NOTHING`,
    [skus],
  );
}

export interface Totals {
  views: number;
  sold: number;
}

/** ProductCounter totals summed over these SKUs: what Postgres holds. */
export async function persistedTotals(skus: string[]): Promise<Totals> {
  const { rows } = await pool.query<{ views: string; sold: string }>(
    `SELECT COALESCE(sum("views"), 0) AS views, COALESCE(sum("sold"), 0) AS sold FROM "ProductCounter" WHERE "sku" = ANY($1)`,
    [skus],
  );
  return { views: Number(rows[0]!.views), sold: Number(rows[0]!.sold) };
}

export async function appliedBatchIds(ids: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(`SELECT "id" FROM "AppliedBatch" WHERE "id" = ANY($1)`, [ids]);
  return rows.map((row) => row.id);
}

export const closePool = (): Promise<void> => pool.end();

/** The write-behind keys of a test namespace, read directly: backlog and open batches. */
export class WriteBehindProbe {
  private constructor(
    readonly redis: RedisClient,
    readonly engine: WriteBehindCounter,
  ) {}

  static async open(wb: Record<string, string>, config: RedisConnectionConfig = testRedisConfig()): Promise<WriteBehindProbe> {
    const redis = createRedis(config, { purpose: 'queue', connectionName: 'write-behind-probe' });
    redis.on('error', () => undefined);
    await waitForReady(redis);
    const engine = new WriteBehindCounter(redis, { namespace: wb.WRITE_BEHIND_NAMESPACE!, shards: Number(wb.WRITE_BEHIND_SHARDS) });
    return new WriteBehindProbe(redis, engine);
  }

  backlog() {
    return this.engine.backlog();
  }

  /** Open batch ids of every shard. */
  async openBatches(): Promise<string[]> {
    const ids: string[] = [];
    for (let shard = 0; shard < this.engine.shards; shard += 1) {
      ids.push(...(await this.redis.zrange(this.engine.keys(shard).openBatches, 0, -1)));
    }
    return ids;
  }

  close(): Promise<void> {
    return closeRedis(this.redis);
  }
}

/** Waits until Postgres holds `expected` for these SKUs and Redis holds nothing more for them. */
export async function waitForPersisted(probe: WriteBehindProbe, skus: string[], expected: Partial<Totals>, timeoutMs = 30_000) {
  let last: Totals | undefined;
  try {
    await waitFor(
      async () => {
        last = await persistedTotals(skus);
        const backlog = await probe.backlog();
        return (
          (expected.views === undefined || last.views === expected.views) &&
          (expected.sold === undefined || last.sold === expected.sold) &&
          backlog.pendingFields === 0 &&
          backlog.openBatches === 0
        );
      },
      { timeoutMs, intervalMs: 50, what: `Postgres totals ${JSON.stringify(expected)} and an empty backlog` },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last totals ${JSON.stringify(last)}`);
  }
}

/** Runs `count` calls of `fn`, at most `concurrency` at a time; resolves to how many succeeded. */
export async function inParallel(count: number, concurrency: number, fn: (i: number) => Promise<boolean>): Promise<number> {
  let next = 0;
  let succeeded = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next;
        next += 1;
        if (await fn(i)) succeeded += 1;
      }
    }),
  );
  return succeeded;
}
