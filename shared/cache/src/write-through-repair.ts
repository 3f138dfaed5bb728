import { Counter } from 'prom-client';
import { createLogger, metricsRegistry, withSpan } from '@cachelab/telemetry';
import { entityKey, entityKeys } from './keys';
import type { CacheStore } from './store';
import type { WriteThroughScripts } from './write-through';

/** "The cached entry of this entity may be older than row version `rowVersion`": drop it. */
export interface CacheRepair {
  namespace: string;
  kind: string;
  id: string;
  rowVersion: number;
}

/**
 * Where repairs wait until Redis takes them. A durable log (a table in the service's database)
 * survives the process that recorded the repair and lets any instance apply it, including one
 * whose own Redis connection works while the writer's does not.
 */
export interface RepairLog {
  /** Records repairs; recording the same entity twice keeps the higher row version. */
  record(repairs: readonly CacheRepair[]): Promise<void>;
  /** Claims up to `limit` repairs, runs `apply` on them and forgets the ones it returns. */
  drain(limit: number, apply: (repairs: CacheRepair[]) => Promise<CacheRepair[]>): Promise<number>;
  /** Those of `repairs` that are still recorded (not yet applied by any instance). */
  outstanding(repairs: CacheRepair[]): Promise<CacheRepair[]>;
}

export const cacheRepairs = new Counter({
  name: 'cachelab_cache_repairs_total',
  help: 'Repairs of cache entries a failed write-through may have left stale, by outcome (applied, superseded).',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});

export const repairKey = (repair: Pick<CacheRepair, 'namespace' | 'kind' | 'id'>) => entityKey(repair.namespace, repair.id, repair.kind);

/** A repair log in this process's memory: for tests and single-instance setups. */
export class MemoryRepairLog implements RepairLog {
  private readonly repairs = new Map<string, CacheRepair>();

  async record(repairs: readonly CacheRepair[]): Promise<void> {
    for (const repair of repairs) {
      const key = repairKey(repair);
      const known = this.repairs.get(key);
      this.repairs.set(key, known && known.rowVersion > repair.rowVersion ? known : repair);
    }
  }

  async drain(limit: number, apply: (repairs: CacheRepair[]) => Promise<CacheRepair[]>): Promise<number> {
    const claimed = [...this.repairs.values()].slice(0, limit);
    if (claimed.length === 0) return 0;
    const applied = await apply(claimed);
    for (const repair of applied) {
      if (this.repairs.get(repairKey(repair))?.rowVersion === repair.rowVersion) this.repairs.delete(repairKey(repair));
    }
    return applied.length;
  }

  async outstanding(repairs: CacheRepair[]): Promise<CacheRepair[]> {
    return repairs.filter((repair) => this.repairs.has(repairKey(repair)));
  }

  get size(): number {
    return this.repairs.size;
  }
}

export interface RepairerOptions {
  /** How often the log is drained. */
  intervalMs?: number;
  batchSize?: number;
  /** Lifetime of the counters the repair script writes (see write-through-3.lua). */
  versionTtlMs: number;
  /** The longest this process bypasses the cache for an entity it scheduled a repair for. */
  maxBypassMs: number;
}

/**
 * Applies repairs: drops the entry at the recorded row version with write-through-3.lua, so a
 * repair can never remove a newer write (it is refused, and counted as superseded).
 *
 * Every instance runs one. Until a repair this process scheduled has been applied (by any
 * instance), this process reads that entity from the database (`isPending`): the client that
 * got its write acknowledged must not read the older row back from here.
 */
export class CacheRepairer {
  private readonly log = createLogger('cache-repair');
  /** Repairs this process scheduled: entry key -> repair and bypass deadline. */
  private readonly pending = new Map<string, { repair: CacheRepair; until: number }>();
  /** Repairs the durable log could not take (its database was unreachable too): kept here. */
  private readonly unrecorded = new Map<string, CacheRepair>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private readonly appliedListeners: Array<(repairs: CacheRepair[]) => unknown> = [];

  constructor(
    private readonly store: CacheStore,
    private readonly repairLog: RepairLog,
    private readonly options: RepairerOptions,
  ) {}

  /** Records repairs durably (in memory if the log is unreachable) and bypasses their entities here until applied. */
  async schedule(repairs: readonly CacheRepair[]): Promise<'recorded' | 'in-memory'> {
    const until = Date.now() + this.options.maxBypassMs;
    for (const repair of repairs) this.pending.set(repairKey(repair), { repair, until });
    try {
      await this.repairLog.record(repairs);
      return 'recorded';
    } catch (error) {
      this.log.error({ err: error, repairs: repairs.length }, 'could not record cache repairs; keeping them in memory');
      for (const repair of repairs) this.unrecorded.set(repairKey(repair), repair);
      return 'in-memory';
    }
  }

  /**
   * Called with the repairs this instance applied (layers in front of Redis, such as a near
   * cache, must drop those entities too). A listener's failure does not undo the repair.
   */
  onApplied(listener: (repairs: CacheRepair[]) => unknown): void {
    this.appliedListeners.push(listener);
  }

  isPending(namespace: string, kind: string, id: string | number): boolean {
    const key = entityKey(namespace, id, kind);
    const entry = this.pending.get(key);
    if (!entry) return false;
    if (Date.now() < entry.until) return true;
    this.pending.delete(key);
    return false;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  start(): this {
    this.timer ??= setInterval(() => void this.runOnce().catch(() => undefined), this.options.intervalMs ?? 1000).unref();
    return this;
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass: applies what it can, returns how many repairs were settled. One pass at a time. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    if (this.store.unavailable) return 0;
    return withSpan('cache.repair', { 'cache.pattern': 'write-through' }, async (span) => {
      let settled = 0;
      if (this.unrecorded.size > 0) {
        const applied = await this.apply([...this.unrecorded.values()]);
        for (const repair of applied) this.unrecorded.delete(repairKey(repair));
        settled += applied.length;
        this.forget(applied);
      }
      const limit = this.options.batchSize ?? 100;
      for (;;) {
        const applied: CacheRepair[] = [];
        const count = await this.repairLog.drain(limit, async (repairs) => {
          applied.push(...(await this.apply(repairs)));
          return applied;
        });
        settled += count;
        this.forget(applied);
        if (count < limit) break;
      }
      await this.forgetRepairedElsewhere();
      span.setAttribute('cache.repairs', settled);
      return settled;
    });
  }

  /** Applies each repair; returns the ones that landed (written, or refused as superseded). */
  private async apply(repairs: CacheRepair[]): Promise<CacheRepair[]> {
    const landed: CacheRepair[] = [];
    for (const repair of repairs) {
      const keys = entityKeys(repair.namespace, repair.id, repair.kind);
      const rowVersionKey = entityKey(repair.namespace, repair.id, 'rowver');
      try {
        const dropped = await this.store.run((redis) =>
          (redis as typeof redis & WriteThroughScripts).writeThrough(keys.entry, keys.version, rowVersionKey, repair.rowVersion, '', 0, this.options.versionTtlMs),
        );
        cacheRepairs.inc({ outcome: dropped === 1 ? 'applied' : 'superseded' });
        landed.push(repair);
      } catch {
        break; // Redis is still unreachable: the rest waits for the next pass
      }
    }
    return landed;
  }

  private forget(applied: CacheRepair[]): void {
    if (applied.length > 0) {
      for (const listener of this.appliedListeners) {
        Promise.resolve()
          .then(() => listener(applied))
          .catch((error: unknown) => this.log.warn({ err: error }, 'a repair listener failed'));
      }
    }
    for (const repair of applied) {
      const key = repairKey(repair);
      if ((this.pending.get(key)?.repair.rowVersion ?? Infinity) <= repair.rowVersion) this.pending.delete(key);
    }
  }

  /** Another instance may have applied a repair this process scheduled: stop bypassing for it. */
  private async forgetRepairedElsewhere(): Promise<void> {
    const mine = [...this.pending.entries()].filter(([key]) => !this.unrecorded.has(key)).map(([, { repair }]) => repair);
    if (mine.length === 0) return;
    const outstanding = new Set((await this.repairLog.outstanding(mine)).map(repairKey));
    for (const repair of mine) if (!outstanding.has(repairKey(repair))) this.pending.delete(repairKey(repair));
  }
}
