import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { defineScripts, type RedisClient, type WithScripts } from '@cachelab/redis';
import {
  checkCounter,
  checkId,
  checkNamespace,
  checkOnceKey,
  checkShards,
  deltaField,
  parseDeltaField,
  shardKeys,
  shardOf,
  type ShardKeys,
} from './write-behind-keys';

/**
 * Write-behind counters: count on the request path in Redis, persist later in batches.
 *
 *   record   one script per increment: HINCRBY into the shard's pending hash (+ ranking, + marker)
 *   flush    per shard: claim (RENAME pending -> batch, atomically) -> apply the batch to the
 *            database in one transaction that records the batch id -> acknowledge (delete it)
 *
 * Nothing is lost: an increment is either in `pending` or in exactly one batch, and a batch stays
 * in Redis (listed in the shard's open set) until the database holds it. A flush that dies at any
 * point leaves an open batch that the next flush of the shard applies first.
 * Nothing is counted twice: `apply` must record the batch id in the same transaction as the
 * totals and skip a batch whose id it already holds (see `ApplyBatch`).
 *
 * This class knows nothing about the database or the scheduler: the inventory service runs
 * `flushShard` from a BullMQ job and applies batches with one SQL statement.
 */
const LUA_DIR = join(__dirname, '..', 'lua');

interface WriteBehindScripts {
  wbRecord(
    pending: string,
    traces: string,
    ranking: string,
    once: string,
    field: string,
    by: number,
    member: string,
    onceTtlSeconds: number,
    trace: string,
    traceCap: number,
  ): Promise<number>;
  wbClaim(pending: string, traces: string, openBatches: string, batch: string, batchTraces: string, batchId: string): Promise<string[]>;
  wbAck(openBatches: string, batch: string, batchTraces: string, batchId: string): Promise<number>;
}

type WriteBehindRedis = WithScripts<WriteBehindScripts>;

export interface WriteBehindOptions {
  /** Key prefix, e.g. `wb` or `wb:cachelab_inventory`: keys are `<namespace>:{s07}:pending`. */
  namespace: string;
  /** Number of shards (hash tags). Changing it strands the pending data of shards that disappear. */
  shards?: number;
  /** Trace contexts kept per shard (and so per batch) for span links; the most recent win. */
  traceLinksPerShard?: number;
}

/** The span that acknowledged an increment: the flush that persists it links back to it. */
export interface TraceRef {
  traceId: string;
  spanId: string;
}

export interface Increment {
  id: string;
  counter: string;
  /** A positive safe integer; 1 by default. */
  by?: number;
  /** Counts at most once per `key` within `ttlSeconds` (a retried sale, a replayed request). */
  once?: { key: string; ttlSeconds: number };
  /** Adds `by` to the id's score in this ranking (sorted set), in the same script. */
  ranking?: string;
  trace?: TraceRef;
}

export interface Delta {
  id: string;
  counter: string;
  by: number;
}

export interface Batch {
  id: string;
  shard: number;
  deltas: Delta[];
  /** Sum of the deltas: the acknowledged increments this batch persists. */
  increments: number;
  traces: TraceRef[];
  /** Fields that do not parse as `<counter>:<id>` = positive integer (never written by `record`). */
  rejected: string[];
}

/**
 * Persists a batch exactly once: in one transaction, insert `batch.id` into a table with a unique
 * key and add the deltas; when the id is already there, change nothing and answer 'duplicate'.
 */
export type ApplyBatch = (batch: Batch) => Promise<'applied' | 'duplicate'>;

export interface FlushHooks {
  /** The batch is claimed and read, not yet applied. */
  beforeApply?(batch: Batch): Promise<void>;
  /** The database holds the batch; Redis still lists it as open. */
  beforeAck?(batch: Batch): Promise<void>;
}

export interface FlushedBatch {
  id: string;
  result: 'applied' | 'duplicate' | 'gone';
  deltas: number;
  increments: number;
  traces: TraceRef[];
}

export interface FlushReport {
  shard: number;
  /** The batch this flush moved out of `pending`, or null when nothing was pending. */
  claimed: string | null;
  /** Every batch this flush handled: its own and the orphans of earlier flushes, oldest first. */
  batches: FlushedBatch[];
}

/** What is counted but not yet persisted for one id: the pending hash and each open batch. */
export interface PendingView {
  unclaimed: Record<string, number>;
  batches: { id: string; values: Record<string, number> }[];
}

export interface RankEntry {
  id: string;
  score: number;
}

const TRACE = /^([0-9a-f]{32})-([0-9a-f]{16})$/;
const BATCH_LABEL = /^[A-Za-z0-9._:-]{1,120}$/;
const POSITIVE_INT = /^[1-9][0-9]{0,15}$/;

export class WriteBehindCounter {
  readonly namespace: string;
  readonly shards: number;
  private readonly redis: WriteBehindRedis;
  private readonly traceCap: number;
  private readonly keyCache: ShardKeys[];

  constructor(redis: RedisClient, options: WriteBehindOptions) {
    defineScripts(redis, LUA_DIR);
    this.redis = redis as WriteBehindRedis;
    this.namespace = checkNamespace(options.namespace);
    this.shards = checkShards(options.shards ?? 16);
    this.traceCap = options.traceLinksPerShard ?? 32;
    this.keyCache = Array.from({ length: this.shards }, (_, shard) => shardKeys(this.namespace, shard, this.shards));
  }

  shardOf(id: string): number {
    return shardOf(checkId(id), this.shards);
  }

  keys(shard: number): ShardKeys {
    const keys = this.keyCache[shard];
    if (!keys) throw new Error(`shard ${shard} out of range 0..${this.shards - 1}`);
    return keys;
  }

  /** Counts an increment. Resolves false when `once` was given and its key had already counted. */
  async record(increment: Increment): Promise<boolean> {
    const by = increment.by ?? 1;
    if (!Number.isSafeInteger(by) || by < 1) throw new Error(`increment must be a positive integer, got ${by}`);
    const counter = checkCounter(increment.counter);
    const k = this.keys(this.shardOf(increment.id));
    const onceKey = increment.once ? checkOnceKey(increment.once.key) : '-';
    const ttl = increment.once ? Math.max(1, Math.ceil(increment.once.ttlSeconds)) : 0;
    const trace = increment.trace ? `${increment.trace.traceId}-${increment.trace.spanId}` : '';
    const counted = await this.redis.wbRecord(
      k.pending,
      k.pendingTraces,
      k.ranking(increment.ranking ?? counter),
      k.once(onceKey),
      deltaField(counter, increment.id),
      by,
      increment.ranking ? increment.id : '',
      ttl,
      TRACE.test(trace) ? trace : '',
      this.traceCap,
    );
    return counted === 1;
  }

  /**
   * Moves the shard's pending increments into a new batch `<label>:<uuid>` and returns the ids of
   * every open batch of the shard, oldest first.
   */
  async claim(shard: number, batchId: string): Promise<string[]> {
    const k = this.keys(shard);
    return this.redis.wbClaim(k.pending, k.pendingTraces, k.openBatches, k.batch(batchId), k.batchTraces(batchId), batchId);
  }

  /** A batch's deltas and trace contexts; `null` when it is gone (another flush acknowledged it). */
  async readBatch(shard: number, batchId: string): Promise<Batch | null> {
    const k = this.keys(shard);
    const replies = await this.redis.pipeline().hgetall(k.batch(batchId)).lrange(k.batchTraces(batchId), 0, -1).exec();
    const [[hashError, hash], [listError, list]] = replies as [[Error | null, Record<string, string>], [Error | null, string[]]];
    if (hashError) throw hashError;
    if (listError) throw listError;
    const fields = Object.entries(hash);
    if (fields.length === 0) return null;
    const batch: Batch = { id: batchId, shard, deltas: [], increments: 0, traces: [], rejected: [] };
    for (const [field, value] of fields) {
      const parsed = parseDeltaField(field);
      if (!parsed || !POSITIVE_INT.test(value)) {
        batch.rejected.push(field);
        continue;
      }
      const by = Number(value);
      batch.deltas.push({ ...parsed, by });
      batch.increments += by;
    }
    const seen = new Set<string>();
    for (const entry of list) {
      const match = TRACE.exec(entry);
      if (match && !seen.has(entry)) {
        seen.add(entry);
        batch.traces.push({ traceId: match[1]!, spanId: match[2]! });
      }
    }
    return batch;
  }

  /** Forgets a batch the database holds. Idempotent. */
  async ack(shard: number, batchId: string): Promise<void> {
    const k = this.keys(shard);
    await this.redis.wbAck(k.openBatches, k.batch(batchId), k.batchTraces(batchId), batchId);
  }

  /**
   * One flush of one shard: claim, then apply and acknowledge every open batch in turn. A failure
   * (database down) rejects and leaves the batch open: the retry, or any later flush of the
   * shard, applies it. Safe to run concurrently with itself: the database's batch-id check
   * decides, and acknowledging twice is harmless.
   */
  async flushShard(shard: number, label: string, apply: ApplyBatch, hooks: FlushHooks = {}): Promise<FlushReport> {
    if (!BATCH_LABEL.test(label)) throw new Error(`batch label ${JSON.stringify(label)} does not match ${BATCH_LABEL}`);
    const batchId = `${label}:${randomUUID()}`;
    const open = await this.claim(shard, batchId);
    const report: FlushReport = { shard, claimed: open.includes(batchId) ? batchId : null, batches: [] };
    for (const id of open) {
      const batch = await this.readBatch(shard, id);
      if (!batch) {
        await this.ack(shard, id);
        report.batches.push({ id, result: 'gone', deltas: 0, increments: 0, traces: [] });
        continue;
      }
      await hooks.beforeApply?.(batch);
      const result = await apply(batch);
      await hooks.beforeAck?.(batch);
      await this.ack(shard, id);
      report.batches.push({ id, result, deltas: batch.deltas.length, increments: batch.increments, traces: batch.traces });
    }
    return report;
  }

  /**
   * The counted-but-not-persisted part of an id's counters, read as one snapshot: the pending
   * hash and the open batches in one MULTI, retried if a flush claimed or acknowledged a batch
   * between listing the batches and reading them. The caller subtracts the batches its
   * database already holds (applied but not yet acknowledged), read after this call.
   */
  async pending(id: string, counters: string[]): Promise<PendingView> {
    const k = this.keys(this.shardOf(id));
    const fields = counters.map((counter) => deltaField(checkCounter(counter), id));
    const values = (reply: unknown): Record<string, number> =>
      Object.fromEntries(counters.map((counter, i) => [counter, Number((reply as (string | null)[])[i] ?? 0)]));
    let known: string[] = [];
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const tx = this.redis.multi().hmget(k.pending, ...fields);
      for (const batchId of known) tx.hmget(k.batch(batchId), ...fields);
      tx.zrange(k.openBatches, 0, -1);
      const replies = (await tx.exec()) ?? [];
      for (const [error] of replies) if (error) throw error;
      const open = replies.at(-1)?.[1] as string[];
      if (open.length === known.length && open.every((batchId, i) => batchId === known[i])) {
        return {
          unclaimed: values(replies[0]?.[1]),
          batches: known.map((batchId, i) => ({ id: batchId, values: values(replies[i + 1]?.[1]) })),
        };
      }
      known = open;
    }
    throw new Error(`open batches of shard ${this.shardOf(id)} kept changing while being read`);
  }

  /** Fields waiting in pending hashes and batches still open, over every shard. */
  async backlog(): Promise<{ pendingFields: number; openBatches: number }> {
    const counts = await Promise.all(
      this.keyCache.map(async (k) => {
        const replies = (await this.redis.pipeline().hlen(k.pending).zcard(k.openBatches).exec()) ?? [];
        for (const [error] of replies) if (error) throw error;
        return [Number(replies[0]?.[1]), Number(replies[1]?.[1])] as const;
      }),
    );
    return {
      pendingFields: counts.reduce((sum, [fields]) => sum + fields, 0),
      openBatches: counts.reduce((sum, [, batches]) => sum + batches, 0),
    };
  }

  /**
   * The top `limit` ids of a ranking. Each id lives in exactly one shard, so the top of each
   * shard's sorted set, merged, is exactly the global top: no approximation.
   */
  async top(ranking: string, limit: number): Promise<RankEntry[]> {
    const perShard = await Promise.all(
      this.keyCache.map(async (k) => {
        const flat = await this.redis.zrevrange(k.ranking(ranking), 0, limit - 1, 'WITHSCORES');
        const entries: RankEntry[] = [];
        for (let i = 0; i < flat.length; i += 2) entries.push({ id: flat[i]!, score: Number(flat[i + 1]) });
        return entries;
      }),
    );
    return mergeTop(perShard, limit);
  }

  /** Replaces one shard's ranking with `entries` (rebuilding it from the database after Redis lost it). */
  async setRanking(ranking: string, shard: number, entries: RankEntry[]): Promise<void> {
    const key = this.keys(shard).ranking(ranking);
    const tx = this.redis.multi().del(key);
    if (entries.length > 0) tx.zadd(key, ...entries.flatMap((entry) => [entry.score, entry.id]));
    const replies = (await tx.exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
  }
}

/** Merges per-shard rankings (each sorted by score, descending) into the top `limit`; ties by id. */
export function mergeTop(lists: RankEntry[][], limit: number): RankEntry[] {
  return lists
    .flat()
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit);
}
