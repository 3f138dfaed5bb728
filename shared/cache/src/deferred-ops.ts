import { Counter } from 'prom-client';
import { createLogger, metricsRegistry, withSpan } from '@cachelab/telemetry';
import { CacheUnavailableError } from './circuit-breaker';

export const deferredOps = new Counter({
  name: 'cachelab_deferred_ops_total',
  help: 'Redis operations that could not run when asked and were retried in the background, by outcome (deferred, landed, failed, expired, dropped, abandoned).',
  labelNames: ['pattern', 'op', 'outcome'] as const,
  registers: [metricsRegistry],
});

/** One operation waiting for Redis. */
export interface DeferredOp<V> {
  readonly key: string;
  readonly value: V;
  /** Retries that failed so far. */
  readonly attempts: number;
  /** Epoch ms after which the operation no longer matters (what it fixes has expired): dropped untried. */
  readonly until: number;
}

export interface DeferredOpsOptions<V> {
  /** What the operations are, for logs, spans and metrics: `invalidate`, `generation-bump`, ... */
  op: string;
  /** `cache.pattern` of the retry spans and the metric's `pattern` label. */
  pattern: string;
  /** Runs a batch of operations; throws when it could not (the whole batch stays pending). */
  run(batch: ReadonlyArray<DeferredOp<V>>): Promise<void>;
  /** Operations per `run` call. Default 1. */
  batchSize?: number;
  /** Deferring a key that is already pending keeps one operation: `merge(pending, next)`. Default: the newer value. */
  merge?(pending: V, next: V): V;
  /** First retry after this long, then doubling (with +-20 % jitter) up to `maxRetryMs`. Defaults 250 ms, 4 s. */
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** At most this many pending operations; one more drops the oldest (counted, logged). Default 10,000. */
  maxPending?: number;
}

interface Pending<V> extends DeferredOp<V> {
  attempts: number;
  dueAt: number;
}

/**
 * Deferred Redis operations: writes that must happen (an invalidation, a generation bump, an
 * invalidation message) but could not reach Redis when asked. The caller tried once and failed;
 * here the operation waits in memory and is retried until it lands or stops mattering:
 *
 *   defer(key, value, lifetimeMs)   pending; deferring the same key again merges into one operation
 *   retry (timer)                   due operations run in batches; landed -> forgotten,
 *                                   failed -> next try after a backoff (250 ms doubling to 4 s)
 *   Redis unreachable               the rest of the pass is postponed, not tried one by one
 *   an operation that fails alone   only it backs off: it cannot block the others
 *   past `until`                    dropped untried (`expired`): every copy it would fix is gone
 *   more than maxPending            the oldest is dropped (`dropped`): memory stays bounded
 *   stop()                          no more retries (shutdown); what is left is logged
 *
 * `has(key)` tells callers to route around Redis for that key until its operation landed.
 * Memory only: a process that dies loses its pending operations, which is why each one has a
 * lifetime no longer than that of the entries it fixes. What must survive a crash belongs in a
 * durable log instead (write-through repairs, the Bloom filter's backlog).
 */
export class DeferredOps<V> {
  private readonly log = createLogger('deferred-ops');
  private readonly ops = new Map<string, Pending<V>>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly batchSize: number;
  private readonly firstRetryMs: number;
  private readonly maxRetryMs: number;
  private readonly maxPending: number;

  constructor(private readonly options: DeferredOpsOptions<V>) {
    this.batchSize = options.batchSize ?? 1;
    this.firstRetryMs = options.firstRetryMs ?? 250;
    this.maxRetryMs = Math.max(this.firstRetryMs, options.maxRetryMs ?? 4_000);
    this.maxPending = options.maxPending ?? 10_000;
  }

  /** Keeps `value` to run later under `key`, for at most `lifetimeMs` (extended, never shortened, by a later defer). */
  defer(key: string, value: V, lifetimeMs: number): void {
    if (this.stopped) return;
    const now = Date.now();
    const known = this.ops.get(key);
    if (!known && this.ops.size >= this.maxPending) this.dropOldest();
    this.ops.set(key, {
      key,
      value: known ? (this.options.merge ?? ((_, next: V) => next))(known.value, value) : value,
      attempts: known?.attempts ?? 0,
      until: Math.max(known?.until ?? 0, now + lifetimeMs),
      dueAt: known?.dueAt ?? now + this.backoff(0),
    });
    this.count('deferred');
    this.schedule();
  }

  /** Pending and still within its lifetime. */
  has(key: string): boolean {
    const op = this.ops.get(key);
    if (!op) return false;
    if (Date.now() < op.until) return true;
    this.expire(op);
    return false;
  }

  get size(): number {
    return this.ops.size;
  }

  /** The pending operations (a copy). */
  pending(): DeferredOp<V>[] {
    return [...this.ops.values()].map(({ key, value, attempts, until }) => ({ key, value, attempts, until }));
  }

  /** Forgets a pending operation (it was done another way). */
  forget(key: string): void {
    this.ops.delete(key);
  }

  /** Retries every pending operation now, whatever its backoff; true when none is left. */
  async flush(): Promise<boolean> {
    await this.running;
    if (!this.stopped) await this.runPass(true);
    return this.ops.size === 0;
  }

  /** Stops retrying (shutdown) and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    await this.running;
    if (this.ops.size > 0) {
      this.log.warn({ op: this.options.op, pending: this.ops.size }, 'stopped with deferred operations not done');
      this.count('abandoned', this.ops.size);
      this.ops.clear();
    }
  }

  private runPass(force: boolean): Promise<void> {
    this.running ??= this.pass(force).finally(() => {
      this.running = undefined;
      this.schedule();
    });
    return this.running;
  }

  private async pass(force: boolean): Promise<void> {
    const now = Date.now();
    for (const op of [...this.ops.values()]) if (now >= op.until) this.expire(op);
    const due = [...this.ops.values()].filter((op) => force || op.dueAt <= now);
    for (let i = 0; i < due.length; i += this.batchSize) {
      const batch = due.slice(i, i + this.batchSize);
      const outcome = await this.attempt(batch);
      if (outcome === 'unreachable') {
        // Redis is down: trying the rest one by one would only fail one by one.
        for (const op of due.slice(i + this.batchSize)) this.postpone(op);
        return;
      }
    }
  }

  private attempt(batch: Pending<V>[]): Promise<'landed' | 'failed' | 'unreachable'> {
    const attributes = { 'cache.pattern': this.options.pattern, 'deferred.op': this.options.op, 'deferred.ops': batch.length };
    return withSpan(`cache.deferred ${this.options.op}`, attributes, async (span) => {
      try {
        await this.options.run(batch);
        // An operation deferred again while this one ran is a newer one: it stays.
        for (const op of batch) if (this.ops.get(op.key) === op) this.ops.delete(op.key);
        this.count('landed', batch.length);
        span.setAttribute('cache.result', 'landed');
        return 'landed';
      } catch (error) {
        for (const op of batch) this.postpone(op);
        const unreachable = error instanceof CacheUnavailableError;
        span.setAttribute('cache.result', unreachable ? 'bypass' : 'error');
        const attempts = Math.max(...batch.map((op) => op.attempts));
        this.log[unreachable ? 'debug' : 'warn']({ err: error, op: this.options.op, keys: batch.length, attempts }, 'deferred operation failed; retrying later');
        return unreachable ? 'unreachable' : 'failed';
      }
    });
  }

  private postpone(op: Pending<V>): void {
    op.attempts += 1;
    op.dueAt = Date.now() + this.backoff(op.attempts);
    this.count('failed');
  }

  private backoff(attempts: number): number {
    const base = Math.min(this.maxRetryMs, this.firstRetryMs * 2 ** attempts);
    return Math.round(base * (0.8 + 0.4 * Math.random()));
  }

  private expire(op: Pending<V>): void {
    if (this.ops.get(op.key) !== op) return;
    this.ops.delete(op.key);
    this.count('expired');
  }

  private dropOldest(): void {
    const oldest = this.ops.keys().next().value;
    if (oldest === undefined) return;
    this.ops.delete(oldest);
    this.count('dropped');
    this.log.warn({ op: this.options.op, key: oldest, maxPending: this.maxPending }, 'too many deferred operations: dropped the oldest');
  }

  /** One timer, set for the earliest due operation. */
  private schedule(): void {
    if (this.stopped || this.running) return;
    if (this.ops.size === 0) return this.clearTimer();
    let next = Number.POSITIVE_INFINITY;
    for (const op of this.ops.values()) next = Math.min(next, op.dueAt, op.until);
    if (this.timer && next >= this.timerAt) return;
    this.clearTimer();
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      void this.runPass(false);
    }, Math.max(0, next - Date.now())).unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private count(outcome: string, n = 1): void {
    deferredOps.inc({ pattern: this.options.pattern, op: this.options.op, outcome }, n);
  }
}
