import { BypassReasons, CacheAttributes as A, cacheRequests, withSpan, type BypassReason } from '@cachelab/telemetry';
import { CacheAside, type CacheAsideOptions } from './cache-aside';
import type { EntityKeys } from './keys';
import type { CacheStore } from './store';
import type { CacheRead } from './types';

export type EntityId = string | number;

export interface ReadThroughOptions<T, Id extends EntityId> extends Omit<CacheAsideOptions, 'namespace' | 'kind'> {
  /** Entries are `<namespace>:{<id>}:<kind>`; `value` by default. */
  kind?: string;
  /** The origin query for one id: null when the record does not exist. Owned by the cache layer. */
  load: (id: Id) => Promise<T | null>;
  /** `false` sends every read to the loader (`x-cache: bypass`): a baseline for benchmarks. */
  enabled?: boolean;
}

/**
 * Read-through: callers ask the cache for an id and never see the database. The cache owns the
 * loader, registered once per namespace, and runs it on a miss behind the library's stampede
 * protection (single flight + a Redis lease + waiters), negative caching and versioned write-back.
 *
 *   products.get(42) ─ hit ───────────────────────────────► row            x-cache: hit
 *                    └ miss ─► registered loader (one, across instances) ─► row  miss / coalesced
 *
 * Against cache-aside the difference is ownership, not mechanics: routes cannot forget to fill,
 * fill with the wrong key or TTL, or skip stampede protection, because they hold no loader.
 */
export class ReadThrough<T, Id extends EntityId = number> {
  readonly pattern: string;
  readonly kind: string;
  private readonly aside: CacheAside<T>;
  private readonly bypassChecks: Array<(id: Id) => boolean> = [];

  constructor(
    store: CacheStore,
    readonly namespace: string,
    private readonly options: ReadThroughOptions<T, Id>,
  ) {
    this.pattern = options.pattern ?? 'read-through';
    this.kind = options.kind ?? 'value';
    this.aside = new CacheAside<T>(store, { ...options, namespace, kind: this.kind, pattern: this.pattern });
  }

  keys(id: Id): EntityKeys {
    return this.aside.keys(id);
  }

  get(id: Id): Promise<CacheRead<T>> {
    if (this.options.enabled === false) return this.bypass(id, BypassReasons.disabled);
    if (this.bypassChecks.some((check) => check(id))) return this.bypass(id, BypassReasons.pendingRepair);
    return this.aside.get(id, () => this.options.load(id));
  }

  /** Drops the entry after a database change (version bump + delete; deferred while Redis is down). */
  invalidate(id: Id): Promise<'invalidated' | 'deferred'> {
    return this.aside.invalidate(id);
  }

  /**
   * Reads of ids for which `check` answers true skip Redis and go to the loader: for entries
   * this process knows may be stale in Redis (a write-through that could not reach it).
   */
  bypassWhen(check: (id: Id) => boolean): void {
    this.bypassChecks.push(check);
  }

  settled(): Promise<void> {
    return this.aside.settled();
  }

  close(): void {
    this.aside.close();
  }

  private bypass(id: Id, reason: BypassReason): Promise<CacheRead<T>> {
    const attributes = { [A.pattern]: this.pattern, [A.namespace]: this.namespace, [A.result]: 'bypass', [A.bypassReason]: reason };
    return withSpan(`cache.get ${this.namespace}`, attributes, async () => {
      const value = await this.options.load(id);
      cacheRequests.inc({ pattern: this.pattern, result: 'bypass' });
      return { value, result: 'bypass' as const };
    });
  }
}

/**
 * The registry: one loader per namespace. A service registers its namespaces at start-up and
 * its routes ask by name (`cache.get('product', 42)`) or keep the typed handle `register` returns.
 */
export class ReadThroughCache {
  private readonly namespaces = new Map<string, ReadThrough<unknown, EntityId>>();

  constructor(private readonly store: CacheStore) {}

  register<T, Id extends EntityId = number>(namespace: string, options: ReadThroughOptions<T, Id>): ReadThrough<T, Id> {
    if (this.namespaces.has(namespace)) throw new Error(`read-through namespace "${namespace}" is already registered`);
    const cache = new ReadThrough<T, Id>(this.store, namespace, options);
    this.namespaces.set(namespace, cache as unknown as ReadThrough<unknown, EntityId>);
    return cache;
  }

  namespace<T, Id extends EntityId = number>(namespace: string): ReadThrough<T, Id> {
    const cache = this.namespaces.get(namespace);
    if (!cache) throw new Error(`no read-through loader registered for namespace "${namespace}"`);
    return cache as unknown as ReadThrough<T, Id>;
  }

  get<T, Id extends EntityId = number>(namespace: string, id: Id): Promise<CacheRead<T>> {
    return this.namespace<T, Id>(namespace).get(id);
  }

  async settled(): Promise<void> {
    await Promise.all([...this.namespaces.values()].map((cache) => cache.settled()));
  }

  close(): void {
    for (const cache of this.namespaces.values()) cache.close();
  }
}
