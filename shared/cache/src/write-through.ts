import { CacheAttributes as A, cacheWriteFailures, createLogger, withSpan } from '@cachelab/telemetry';
import type { RedisClient } from '@cachelab/redis';
import { failOnError, groupByNode } from './cluster-batches';
import { encode } from './envelope';
import { entityKey } from './keys';
import type { EntityId, ReadThrough } from './read-through';
import type { CacheStore } from './store';
import { withJitter } from './ttl';
import type { CacheRepair, CacheRepairer } from './write-through-repair';

/** write-through-3.lua, as an ioredis command. */
export interface WriteThroughScripts {
  writeThrough(entry: string, version: string, rowVersion: string, committed: number, payload: string, ttlMs: number, versionTtlMs: number): Promise<number>;
}

export interface WriteThroughOptions {
  ttlMs: number;
  /** Spread of the TTL, as a share of it. */
  jitter?: number;
  /** How long the tombstone of a deleted entity answers "not found". */
  negativeTtlMs: number;
  /** Lifetime of the row-version and invalidation counters after the last write. */
  versionTtlMs?: number;
  pattern?: string;
}

/**
 * - written:        the entry now holds this row
 * - superseded:     a newer version of the row had already gone through; nothing to do
 * - dropped:        the write failed, but dropping the entry worked: the next read loads the row
 * - repair-pending: Redis could not be reached at all; a repair is recorded and this process
 *                   reads the entity from the database until it is applied
 */
export type WriteThroughOutcome = 'written' | 'superseded' | 'dropped' | 'repair-pending';

/**
 * Write-through: after the database commit, the same request writes the new row into the cache,
 * and the response waits for both. Readers find the new row at once instead of a miss.
 *
 * Two things make it safe:
 * - Order. Concurrent writes of one entity commit in some order but reach Redis in any order.
 *   Each committed row carries its version and write-through-3.lua refuses versions older than
 *   the highest it has written, so the cache ends on the last commit.
 * - Failure after the commit. The database has the new row, the cache may hold the old one, and
 *   nothing will fix it before the TTL: this is where write-through goes inconsistent. The write
 *   is counted (`cachelab_cache_write_failures_total{pattern="write-through"}`), the entry is
 *   dropped at once if Redis answers that, and otherwise a repair is recorded in a durable log
 *   that every instance drains (CacheRepairer); meanwhile this process bypasses the entry.
 */
export class WriteThrough<T, Id extends EntityId = number> {
  private readonly pattern: string;
  private readonly log = createLogger('write-through');
  private readonly versionTtlMs: number;

  constructor(
    private readonly store: CacheStore,
    private readonly reads: ReadThrough<T, Id>,
    private readonly repairer: CacheRepairer,
    private readonly options: WriteThroughOptions,
  ) {
    this.pattern = options.pattern ?? 'write-through';
    this.versionTtlMs = options.versionTtlMs ?? 24 * 3600_000;
    reads.bypassWhen((id) => repairer.isPending(reads.namespace, this.reads.kind, id));
  }

  /** Call after the commit of a create or an update, with the committed row and its version. */
  write(id: Id, value: T, rowVersion: number): Promise<WriteThroughOutcome> {
    const ttlMs = withJitter(this.options.ttlMs, this.options.jitter ?? 0.1);
    return this.apply(id, rowVersion, encode(value, Date.now() + ttlMs, 0), ttlMs);
  }

  /** Call after the commit of a delete with the deleted row's version + 1: caches "not found". */
  remove(id: Id, rowVersion: number): Promise<WriteThroughOutcome> {
    const ttlMs = this.options.negativeTtlMs;
    if (ttlMs <= 0) return this.apply(id, rowVersion, '', 0);
    return this.apply(id, rowVersion, encode(null, Date.now() + ttlMs, 0), ttlMs);
  }

  private apply(id: Id, rowVersion: number, payload: string, ttlMs: number): Promise<WriteThroughOutcome> {
    const keys = this.reads.keys(id);
    const rowVersionKey = this.rowVersionKey(id);
    const attributes = { [A.pattern]: this.pattern, [A.key]: keys.entry, [A.rowVersion]: rowVersion };
    return withSpan('cache.write-through', attributes, async (span) => {
      let outcome: WriteThroughOutcome;
      try {
        const written = await this.store.run((redis) =>
          (redis as typeof redis & WriteThroughScripts).writeThrough(keys.entry, keys.version, rowVersionKey, rowVersion, payload, ttlMs, this.versionTtlMs),
        );
        outcome = written === 1 ? 'written' : 'superseded';
      } catch (error) {
        cacheWriteFailures.inc({ pattern: this.pattern });
        const reason = error instanceof Error ? error.message : String(error);
        this.log.warn({ key: keys.entry, rowVersion, reason }, 'write-through failed after the commit; dropping the entry');
        outcome = await this.dropOrRepair(id, rowVersion, keys.entry, keys.version, rowVersionKey);
      }
      span.setAttribute('cache.result', outcome);
      return outcome;
    });
  }

  /** The entry may be stale now: drop it at this version, or record a repair if Redis is unreachable. */
  private async dropOrRepair(id: Id, rowVersion: number, entry: string, version: string, rowVersionKey: string): Promise<WriteThroughOutcome> {
    try {
      await this.store.run((redis) =>
        (redis as typeof redis & WriteThroughScripts).writeThrough(entry, version, rowVersionKey, rowVersion, '', 0, this.versionTtlMs),
      );
      return 'dropped';
    } catch {
      await this.repairer.schedule([this.repairOf(id, rowVersion)]);
      return 'repair-pending';
    }
  }

  /**
   * Drops the entries of rows committed in bulk (write-around: an import writes the database
   * only), each at its row version so that a concurrent write-through of a newer version is not
   * undone and an older one arriving late is refused. One pipeline per node per batch; what
   * cannot reach Redis becomes repairs.
   */
  async dropAll(rows: ReadonlyArray<{ id: Id; rowVersion: number }>, options: { batchSize?: number; pattern?: string } = {}): Promise<DropAllResult> {
    const result: DropAllResult = { dropped: 0, superseded: 0, repairPending: 0 };
    const batchSize = options.batchSize ?? 500;
    const attributes = { [A.pattern]: options.pattern ?? this.pattern, [A.namespace]: this.reads.namespace, [A.rows]: rows.length };
    return withSpan('cache.drop-all', attributes, async (span) => {
      for (let start = 0; start < rows.length; start += batchSize) {
        const batch = rows.slice(start, start + batchSize);
        try {
          const replies = await this.store.run((redis) => this.dropBatch(redis, batch));
          for (const reply of replies) {
            if (reply === 1) result.dropped += 1;
            else result.superseded += 1;
          }
        } catch (error) {
          cacheWriteFailures.inc({ pattern: options.pattern ?? this.pattern }, rows.length - start);
          const reason = error instanceof Error ? error.message : String(error);
          this.log.warn({ rows: rows.length - start, reason }, 'dropping bulk-written entries failed; recording repairs');
          await this.repairer.schedule(rows.slice(start).map((row) => this.repairOf(row.id, row.rowVersion)));
          result.repairPending = rows.length - start;
          break;
        }
      }
      span.setAttributes({ [A.dropped]: result.dropped, [A.superseded]: result.superseded, [A.repairPending]: result.repairPending });
      return result;
    });
  }

  private async dropBatch(redis: RedisClient, batch: ReadonlyArray<{ id: Id; rowVersion: number }>): Promise<unknown[]> {
    const groups = groupByNode(redis, batch, (row) => this.reads.keys(row.id).entry);
    const replies = await Promise.all(
      groups.map(async (slots) => {
        const pipeline = redis.pipeline() as ReturnType<RedisClient['pipeline']> & PipelineScripts;
        for (const row of slots.flat()) {
          const keys = this.reads.keys(row.id);
          pipeline.writeThrough(keys.entry, keys.version, this.rowVersionKey(row.id), row.rowVersion, '', 0, this.versionTtlMs);
        }
        return failOnError(await pipeline.exec());
      }),
    );
    return replies.flat();
  }

  private rowVersionKey(id: Id): string {
    return entityKey(this.reads.namespace, id, 'rowver');
  }

  private repairOf(id: Id, rowVersion: number): CacheRepair {
    return { namespace: this.reads.namespace, kind: this.reads.kind, id: String(id), rowVersion };
  }
}

export interface DropAllResult {
  dropped: number;
  /** Entries a newer write-through had already replaced: left alone. */
  superseded: number;
  /** Rows whose entries could not be dropped (Redis unreachable): recorded as repairs. */
  repairPending: number;
}

type PipelineScripts = { writeThrough(...args: Parameters<WriteThroughScripts['writeThrough']>): unknown };
