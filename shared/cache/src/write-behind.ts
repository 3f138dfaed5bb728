import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@cachelab/redis';
import { CacheStore } from './store';
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
 *   flush    per shard: claim (RENAME pending -> batch, atomically, when no batch is open) -> apply
 *            the batch to the database in one transaction that records the batch id ->
 *            acknowledge (delete it)
 *
 * Nothing is lost: an increment is either in `pending` or in exactly one batch, and a batch stays
 * in Redis (listed in the shard's open set) until the database holds it. A flush that dies at any
 * point leaves an open batch that the next flush of the shard applies first.
 * Nothing is counted twice: `apply` must record the batch id in the same transaction as the
 * totals and skip a batch whose id it already holds (see `ApplyBatch`). An increment recorded
 * with a once-key travels in the batch under that key (`Batch.once`), so that the database can
 * honour the same identity as a fallback that wrote it there directly.
 *
 * Every call goes through a CacheStore (the scripts of shared/cache/lua, one circuit breaker), like
 * every other pattern. This class knows nothing about the database or the scheduler: the
 * inventory service runs `flushShard` from a BullMQ job and applies batches with one SQL statement.
 */
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

/** What `revoke` found: see wb-revoke-4.lua. */
export type RevokeOutcome = 'absent' | 'withdrawn' | 'revoked';
const REVOKE_OUTCOMES: RevokeOutcome[] = ['absent', 'withdrawn', 'revoked'];

export interface Delta {
  id: string;
  counter: string;
  /** A non-zero integer: negative when revocations outweigh the increments of a field. */
  by: number;
}

/**
 * An increment recorded with a once-key, as the batch carries it. `by` > 0: record the identity,
 * and when the database already holds it, do not count `by` again (it is in the deltas). `by` < 0:
 * a revocation: forget the identity, and when the database does not hold it, do not take `-by` off.
 */
export interface IdentifiedIncrement {
  key: string;
  id: string;
  counter: string;
  by: number;
}

export interface Batch {
  id: string;
  shard: number;
  deltas: Delta[];
  /** Sum of the deltas: the acknowledged increments this batch persists (net of revocations). */
  increments: number;
  /** The deltas' increments that carry an identity (each is also summed in `deltas`). */
  once: IdentifiedIncrement[];
  traces: TraceRef[];
  /** Fields that do not parse as `<counter>:<id>` = integer (never written by `record`). */
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
  /** Every batch this flush handled: an earlier flush's orphan first, then its own. */
  batches: FlushedBatch[];
}

/** What is counted but not yet persisted for one id: the pending hash and each open batch. */
export interface PendingView {
  unclaimed: Record<string, number>;
  batches: { id: string; values: Record<string, number> }[];
}

const TRACE = /^([0-9a-f]{32})-([0-9a-f]{16})$/;
const BATCH_LABEL = /^[A-Za-z0-9._:-]{1,120}$/;
const NONZERO_INT = /^-?[1-9][0-9]{0,15}$/;
const IDENTIFIED = /^(-?[1-9][0-9]{0,15}):(.+)$/;

export class WriteBehindCounter {
  readonly namespace: string;
  readonly shards: number;
  /** Redis and its circuit breaker: an outage costs a quick CacheUnavailableError, not a timeout each. */
  readonly store: CacheStore;
  private readonly traceCap: number;
  private readonly keyCache: ShardKeys[];

  constructor(redis: RedisClient | CacheStore, options: WriteBehindOptions) {
    this.store = redis instanceof CacheStore ? redis : new CacheStore(redis, { name: 'write-behind' });
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
    const by = checkBy(increment.by ?? 1);
    const counter = checkCounter(increment.counter);
    const k = this.keys(this.shardOf(increment.id));
    const onceKey = increment.once ? checkOnceKey(increment.once.key) : '-';
    const ttl = increment.once ? Math.max(1, Math.ceil(increment.once.ttlSeconds)) : 0;
    const trace = increment.trace ? `${increment.trace.traceId}-${increment.trace.spanId}` : '';
    const counted = await this.store.run((redis) =>
      redis.wbRecord(
        k.pending,
        k.pendingTraces,
        k.pendingOnce,
        k.ranking(increment.ranking ?? counter),
        k.once(onceKey),
        deltaField(counter, increment.id),
        by,
        increment.ranking ? increment.id : '',
        ttl,
        TRACE.test(trace) ? trace : '',
        this.traceCap,
        onceKey,
      ),
    );
    return counted === 1;
  }

  /**
   * Takes back an increment recorded with `once` (the same id, counter, by, key and ranking):
   * 'withdrawn' when it was still pending, 'revoked' when a flush had claimed it (the database
   * takes it back with the next batch), 'absent' when Redis holds no marker for it.
   */
  async revoke(increment: Increment & { once: { key: string } }): Promise<RevokeOutcome> {
    const by = checkBy(increment.by ?? 1);
    const counter = checkCounter(increment.counter);
    const k = this.keys(this.shardOf(increment.id));
    const onceKey = checkOnceKey(increment.once.key);
    const outcome = await this.store.run((redis) =>
      redis.wbRevoke(
        k.pending,
        k.pendingOnce,
        k.ranking(increment.ranking ?? counter),
        k.once(onceKey),
        deltaField(counter, increment.id),
        by,
        increment.ranking ? increment.id : '',
        onceKey,
      ),
    );
    return REVOKE_OUTCOMES[outcome] ?? 'absent';
  }

  /**
   * Moves the shard's pending increments into a new batch `<label>:<uuid>` when no batch of the
   * shard is open, and returns the ids of every open batch of the shard, oldest first.
   */
  async claim(shard: number, batchId: string): Promise<string[]> {
    const k = this.keys(shard);
    return this.store.run((redis) =>
      redis.wbClaim(k.pending, k.pendingTraces, k.pendingOnce, k.openBatches, k.batch(batchId), k.batchTraces(batchId), k.batchOnce(batchId), batchId),
    );
  }

  /** A batch's deltas, identities and trace contexts; `null` when it is gone (another flush acknowledged it). */
  async readBatch(shard: number, batchId: string): Promise<Batch | null> {
    const k = this.keys(shard);
    const replies = await this.store.run((redis) =>
      redis.pipeline().hgetall(k.batch(batchId)).hgetall(k.batchOnce(batchId)).lrange(k.batchTraces(batchId), 0, -1).exec(),
    );
    const [[hashError, hash], [onceError, onceHash], [listError, list]] = replies as [
      [Error | null, Record<string, string>],
      [Error | null, Record<string, string>],
      [Error | null, string[]],
    ];
    if (hashError) throw hashError;
    if (onceError) throw onceError;
    if (listError) throw listError;
    const fields = Object.entries(hash);
    const identified = Object.entries(onceHash);
    if (fields.length === 0 && identified.length === 0) return null;
    const batch: Batch = { id: batchId, shard, deltas: [], increments: 0, once: [], traces: [], rejected: [] };
    for (const [field, value] of fields) {
      if (value === '0') continue; // an increment and its revocation in the same batch
      const parsed = parseDeltaField(field);
      if (!parsed || !NONZERO_INT.test(value)) {
        batch.rejected.push(field);
        continue;
      }
      const by = Number(value);
      batch.deltas.push({ ...parsed, by });
      batch.increments += by;
    }
    for (const [key, value] of identified) {
      const match = IDENTIFIED.exec(value);
      const parsed = match ? parseDeltaField(match[2]!) : undefined;
      if (!match || !parsed) {
        batch.rejected.push(`once:${key}`);
        continue;
      }
      batch.once.push({ key, ...parsed, by: Number(match[1]) });
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
    await this.store.run((redis) => redis.wbAck(k.openBatches, k.batch(batchId), k.batchTraces(batchId), k.batchOnce(batchId), batchId));
  }

  /**
   * One flush of one shard: claim, then apply and acknowledge every open batch in turn. When an
   * earlier flush left a batch open (it died, or the database was down), that batch is applied
   * first and the pending increments are claimed right after it. A failure (database down)
   * rejects and leaves the batch open: the retry, or any later flush of the shard, applies it.
   * Safe to run concurrently with itself: the database's batch-id check decides, and
   * acknowledging twice is harmless.
   */
  async flushShard(shard: number, label: string, apply: ApplyBatch, hooks: FlushHooks = {}): Promise<FlushReport> {
    if (!BATCH_LABEL.test(label)) throw new Error(`batch label ${JSON.stringify(label)} does not match ${BATCH_LABEL}`);
    const batchId = `${label}:${randomUUID()}`;
    const report: FlushReport = { shard, claimed: null, batches: [] };
    // Two rounds at most: the orphans of earlier flushes, then what this flush claims.
    for (let round = 0; round < 2 && report.claimed === null; round += 1) {
      const open = await this.claim(shard, batchId);
      if (open.includes(batchId)) report.claimed = batchId;
      if (open.length === 0) break;
      for (const id of open) await this.flushBatch(shard, id, apply, hooks, report);
    }
    return report;
  }

  private async flushBatch(shard: number, id: string, apply: ApplyBatch, hooks: FlushHooks, report: FlushReport): Promise<void> {
    const batch = await this.readBatch(shard, id);
    if (!batch) {
      await this.ack(shard, id);
      report.batches.push({ id, result: 'gone', deltas: 0, increments: 0, traces: [] });
      return;
    }
    await hooks.beforeApply?.(batch);
    const result = await apply(batch);
    await hooks.beforeAck?.(batch);
    await this.ack(shard, id);
    report.batches.push({ id, result, deltas: batch.deltas.length, increments: batch.increments, traces: batch.traces });
  }

  /**
   * The counted-but-not-persisted part of an id's counters, read as one snapshot: the pending
   * hash and the open batches in one MULTI, retried if a flush claimed or acknowledged a batch
   * between listing the batches and reading them (at most one batch per shard is open, so this
   * settles within a few tries). The caller subtracts the batches its database already holds
   * (applied but not yet acknowledged), read after this call.
   */
  async pending(id: string, counters: string[]): Promise<PendingView> {
    const k = this.keys(this.shardOf(id));
    const fields = counters.map((counter) => deltaField(checkCounter(counter), id));
    const values = (reply: unknown): Record<string, number> =>
      Object.fromEntries(counters.map((counter, i) => [counter, Number((reply as (string | null)[])[i] ?? 0)]));
    let known: string[] = [];
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const replies = await this.store.run(async (redis) => {
        const tx = redis.multi().hmget(k.pending, ...fields);
        for (const batchId of known) tx.hmget(k.batch(batchId), ...fields);
        tx.zrange(k.openBatches, 0, -1);
        return (await tx.exec()) ?? [];
      });
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
        const replies = (await this.store.run((redis) => redis.pipeline().hlen(k.pending).zcard(k.openBatches).exec())) ?? [];
        for (const [error] of replies) if (error) throw error;
        return [Number(replies[0]?.[1]), Number(replies[1]?.[1])] as const;
      }),
    );
    return {
      pendingFields: counts.reduce((sum, [fields]) => sum + fields, 0),
      openBatches: counts.reduce((sum, [, batches]) => sum + batches, 0),
    };
  }
}

function checkBy(by: number): number {
  if (!Number.isSafeInteger(by) || by < 1) throw new Error(`increment must be a positive integer, got ${by}`);
  return by;
}
