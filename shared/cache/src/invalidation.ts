import { withSpan } from '@cachelab/telemetry';
import type { EntityKeys } from './keys';
import type { CacheStore } from './store';

/**
 * Invalidation on write: after the database commit, bump the entity's version and drop the
 * entry in one script (invalidate-2.lua). Readers that loaded the old row before the bump have
 * their write-back refused (set-if-version-2.lua), so a slow reader cannot put it back.
 *
 * When Redis cannot be reached the commit still stands (the database is the source of truth), but
 * the old entry may still be in Redis. The invalidation is then kept and retried until it lands
 * or until the entry would have expired anyway (`maxEntryLifetimeMs`); meanwhile this process
 * reads that entity from the database (`isPending`).
 */
export class Invalidator {
  private readonly pending = new Map<string, { keys: EntityKeys; until: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: CacheStore,
    private readonly options: { versionTtlMs: number; maxEntryLifetimeMs: number; retryEveryMs?: number },
  ) {}

  async invalidate(keys: EntityKeys): Promise<'invalidated' | 'deferred'> {
    return withSpan('cache.invalidate', { 'cache.key': keys.entry }, async (span) => {
      const landed = await this.tryInvalidate(keys);
      if (!landed) this.defer(keys);
      span.setAttribute('cache.result', landed ? 'invalidated' : 'deferred');
      return landed ? 'invalidated' : 'deferred';
    });
  }

  isPending(entryKey: string): boolean {
    return this.pending.has(entryKey);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Retries every pending invalidation once; resolves true when none is left. */
  async flush(): Promise<boolean> {
    const now = Date.now();
    for (const [entry, { keys, until }] of this.pending) {
      if (now >= until || (await this.tryInvalidate(keys))) this.pending.delete(entry);
    }
    if (this.pending.size === 0) this.stopTimer();
    return this.pending.size === 0;
  }

  close(): void {
    this.stopTimer();
  }

  private async tryInvalidate(keys: EntityKeys): Promise<boolean> {
    try {
      await this.store.run((redis) => redis.invalidate(keys.entry, keys.version, this.options.versionTtlMs));
      return true;
    } catch {
      return false;
    }
  }

  private defer(keys: EntityKeys): void {
    this.pending.set(keys.entry, { keys, until: Date.now() + this.options.maxEntryLifetimeMs });
    this.timer ??= setInterval(() => void this.flush(), this.options.retryEveryMs ?? 250).unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
