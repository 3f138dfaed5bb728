import { cacheRequests, cacheWriteFailures, createLogger, withSpan } from '@cachelab/telemetry';
import { CacheAside, type CacheAsideOptions } from './cache-aside';
import { CacheUnavailableError } from './circuit-breaker';
import { entityKey } from './keys';
import type { CacheStore } from './store';
import type { CacheRead, Loader } from './types';

/** generation-1.lua, as an ioredis command. */
export interface GenerationScripts {
  generation(counter: string, mode: 'read' | 'bump'): Promise<number>;
}

export interface GenerationsOptions {
  /** Counters are `<namespace>:{<group>}:gen`. */
  namespace: string;
  /** Pattern label of the write-failure metric. */
  pattern?: string;
  /** How often a bump that could not reach Redis is retried. */
  retryEveryMs?: number;
  /**
   * How long a failed bump is retried and, meanwhile, the group read from the database by this
   * process: the TTL of the group's entries, after which the old ones are gone anyway.
   */
  maxPendingMs: number;
}

/**
 * Generation counters: one per group of entries (a category's listing pages). Reading one costs a
 * GET; invalidating the whole group costs one INCR, whatever the number of its entries.
 */
export class Generations {
  private readonly log = createLogger('generations');
  private readonly pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: CacheStore,
    private readonly options: GenerationsOptions,
  ) {}

  key(group: string | number): string {
    return entityKey(this.options.namespace, group, 'gen');
  }

  /** The current generation. @throws CacheUnavailableError */
  current(group: string | number): Promise<number> {
    return this.store.run((redis) => (redis as typeof redis & GenerationScripts).generation(this.key(group), 'read'));
  }

  /**
   * Makes every entry of the group unreachable. Call after the database commit. When Redis cannot
   * be reached the bump is retried in the background, and this process reads the group from the
   * database until it lands (`isPending`). Bumping twice is harmless: it only costs a refill.
   */
  async bump(group: string | number): Promise<'bumped' | 'deferred'> {
    return withSpan('cache.generation.bump', { 'cache.pattern': this.pattern, 'cache.key': this.key(group) }, async (span) => {
      const landed = await this.tryBump(group);
      if (!landed) {
        cacheWriteFailures.inc({ pattern: this.pattern });
        this.defer(group);
      }
      span.setAttribute('cache.result', landed ? 'bumped' : 'deferred');
      return landed ? 'bumped' : 'deferred';
    });
  }

  /** Bumps several groups, once each, concurrently (their counters live in different slots). */
  async bumpAll(groups: Iterable<string | number>): Promise<Map<string, 'bumped' | 'deferred'>> {
    const unique = [...new Set([...groups].map(String))];
    const outcomes = await Promise.all(unique.map((group) => this.bump(group)));
    return new Map(unique.map((group, i) => [group, outcomes[i]!]));
  }

  isPending(group: string | number): boolean {
    const until = this.pending.get(String(group));
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.pending.delete(String(group));
    return false;
  }

  /** Retries every pending bump once; true when none is left. */
  async flush(): Promise<boolean> {
    for (const [group, until] of this.pending) {
      if (Date.now() >= until || (await this.tryBump(group))) this.pending.delete(group);
    }
    if (this.pending.size === 0) this.stopTimer();
    return this.pending.size === 0;
  }

  close(): void {
    this.stopTimer();
  }

  private get pattern(): string {
    return this.options.pattern ?? 'versioned-keys';
  }

  private async tryBump(group: string | number): Promise<boolean> {
    try {
      await this.store.run((redis) => (redis as typeof redis & GenerationScripts).generation(this.key(group), 'bump'));
      return true;
    } catch (error) {
      this.log.debug({ err: error, group }, 'generation bump failed');
      return false;
    }
  }

  private defer(group: string | number): void {
    this.pending.set(String(group), Date.now() + this.options.maxPendingMs);
    this.timer ??= setInterval(() => void this.flush(), this.options.retryEveryMs ?? 250).unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export interface VersionedCacheOptions extends Omit<CacheAsideOptions, 'namespace' | 'kind'> {
  /** Entries are `<namespace>:{<group>.g<generation>.<part>}:<kind>`. */
  namespace: string;
  kind?: string;
}

export interface VersionedRead<T> extends CacheRead<T> {
  /** The generation the entry was read under; undefined when the cache was bypassed. */
  generation?: number;
}

/**
 * Versioned keys: entries of a group are cached under a key that includes the group's current
 * generation. After a bump, readers compute keys with the new generation and miss; the old entries
 * are never read again and leave by TTL. No key is enumerated or deleted, so invalidating a group
 * of any size is O(1), and a slow reader that loaded before the bump writes its result under the
 * old generation, where nobody looks: the invalidation race cannot happen.
 *
 * Each entry has its own hash tag (group, generation and part), so the pages of one large group
 * spread over the Cluster instead of loading one node. Misses are filled through CacheAside, with
 * its stampede protection.
 */
export class VersionedCache<T> {
  private readonly aside: CacheAside<T>;
  private readonly pattern: string;

  constructor(
    store: CacheStore,
    readonly generations: Generations,
    private readonly options: VersionedCacheOptions,
  ) {
    this.pattern = options.pattern ?? 'versioned-keys';
    this.aside = new CacheAside<T>(store, { ...options, kind: options.kind ?? 'value', pattern: this.pattern });
  }

  /** The entry id of one part of a group at one generation (the part inside the key's hash tag). */
  entryId(group: string | number, generation: number, part: string): string {
    return `${group}.g${generation}.${part}`;
  }

  keyOf(group: string | number, generation: number, part: string): string {
    return this.aside.keys(this.entryId(group, generation, part)).entry;
  }

  async get(group: string | number, part: string, load: Loader<T>): Promise<VersionedRead<T>> {
    if (this.generations.isPending(group)) return this.bypass(load);
    let generation: number;
    try {
      generation = await this.generations.current(group);
    } catch (error) {
      if (error instanceof CacheUnavailableError) return this.bypass(load);
      throw error;
    }
    const read = await this.aside.get(this.entryId(group, generation, part), load);
    return read.result === 'bypass' ? read : { ...read, generation };
  }

  settled(): Promise<void> {
    return this.aside.settled();
  }

  /** Closes the entries' cache; the Generations may be shared, and are closed by their owner. */
  close(): void {
    this.aside.close();
  }

  /** Redis unreachable, or a bump of this group not landed yet: straight to the database. */
  private bypass(load: Loader<T>): Promise<VersionedRead<T>> {
    const attributes = { 'cache.pattern': this.pattern, 'cache.namespace': this.options.namespace, 'cache.result': 'bypass' };
    return withSpan(`cache.get ${this.options.namespace}`, attributes, async () => {
      const value = await load();
      cacheRequests.inc({ pattern: this.pattern, result: 'bypass' });
      return { value, result: 'bypass' as const };
    });
  }
}
