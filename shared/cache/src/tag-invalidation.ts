import { CacheAttributes as A, withSpan } from '@cachelab/telemetry';
import { failOnError, unlinkByNode } from './cluster-batches';
import { entityKey } from './keys';
import type { CacheStore } from './store';

export { versionKeyOf } from './cluster-batches';

/** tag-freeze-2.lua, as an ioredis command. */
export interface TagScripts {
  tagFreeze(keys: string, draining: string, drainTtlMs: number): Promise<1 | 0 | -1>;
}

export interface TagIndexOptions {
  /** Tag sets are `<namespace>:{<tag>}:keys`. */
  namespace?: string;
  /** Keys handled per SSCAN batch; each batch costs one pipeline per Cluster node. */
  batchSize?: number;
  /** How long a tag's set lives after its last addition: at least the longest TTL of a tagged entry. */
  ttlMs: number;
  /**
   * Also bump the invalidation counter (`<ns>:{<id>}:ver`) of entries named like entity keys, so
   * that a fill which loaded before the invalidation has its write-back refused (set-if-version-2.lua).
   */
  bumpVersions?: boolean;
  versionTtlMs?: number;
}

export interface TagInvalidation {
  tag: string;
  /** Keys that still existed and were unlinked. */
  removed: number;
  /** Members of the tag set handled, including keys that had already expired. */
  scanned: number;
  /** Pipelines sent (one per Cluster node per batch). */
  pipelines: number;
  /** False when `maxKeys` stopped the call early: call again to go on. */
  done: boolean;
}

/**
 * Tag invalidation: entries carry tags (a product's brand, its promotion), each tag keeps the set
 * of keys carrying it, and invalidating a tag removes all of them.
 *
 * On a Cluster the keys of one tag live in many slots on every node, and multi-key commands must
 * stay in one slot. So the drain works in bounded batches: SSCAN up to `batchSize` members, group
 * them by slot and the slots by node, send one pipeline per node holding one UNLINK per slot
 * (plus the counter bumps), then SREM the batch from the set. No command touches two slots, no
 * command is larger than a batch, and a call may stop after `maxKeys` and be resumed, by this or
 * any process: progress lives in Redis, a member leaves the set only once its key is gone.
 */
export class TagIndex {
  private readonly namespace: string;
  private readonly batchSize: number;

  constructor(
    private readonly store: CacheStore,
    private readonly options: TagIndexOptions,
  ) {
    this.namespace = options.namespace ?? 'tag';
    this.batchSize = options.batchSize ?? 500;
  }

  setKey(tag: string): string {
    return entityKey(this.namespace, tag, 'keys');
  }

  drainingKey(tag: string): string {
    return entityKey(this.namespace, tag, 'draining');
  }

  /**
   * Registers `key` under each tag. Call before the entry is written, so that an invalidation
   * that starts in between finds it. @throws CacheUnavailableError
   */
  async add(key: string, tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    // One pipeline per tag: each tag's set lives in its own slot.
    await this.store.run((redis) =>
      Promise.all(
        tags.map((tag) => redis.pipeline().sadd(this.setKey(tag), key).pexpire(this.setKey(tag), this.options.ttlMs).exec().then(failOnError)),
      ),
    );
  }

  /** Removes every cached entry carrying `tag` (at most about `maxKeys` per call). @throws CacheUnavailableError */
  async invalidate(tag: string, { maxKeys = Number.POSITIVE_INFINITY }: { maxKeys?: number } = {}): Promise<TagInvalidation> {
    const result: TagInvalidation = { tag, removed: 0, scanned: 0, pipelines: 0, done: false };
    return withSpan('cache.tag.invalidate', { [A.pattern]: 'tag-invalidation', [A.tag]: tag, [A.key]: this.setKey(tag) }, async (span) => {
      let frozen = await this.freeze(tag);
      for (;;) {
        if (frozen !== -1 && !(await this.drain(tag, result, maxKeys))) break; // budget spent
        if (frozen !== 0) {
          result.done = true;
          break;
        }
        // We finished an earlier drain; now freeze and drain what was tagged since.
        frozen = await this.freeze(tag);
      }
      span.setAttributes({ [A.result]: result.done ? 'invalidated' : 'partial', [A.tagRemoved]: result.removed, [A.tagScanned]: result.scanned, [A.tagDone]: result.done });
      return result;
    });
  }

  private freeze(tag: string): Promise<1 | 0 | -1> {
    return this.store.run((redis) =>
      (redis as typeof redis & TagScripts).tagFreeze(this.setKey(tag), this.drainingKey(tag), this.options.ttlMs),
    );
  }

  /** Drains the frozen set; false when `maxKeys` stopped it before the end. */
  private async drain(tag: string, result: TagInvalidation, maxKeys: number): Promise<boolean> {
    const draining = this.drainingKey(tag);
    let cursor = '0';
    do {
      if (result.scanned >= maxKeys) return false;
      const count = Math.min(this.batchSize, maxKeys - result.scanned);
      const [next, members] = await this.store.run((redis) => redis.sscan(draining, cursor, 'COUNT', count));
      cursor = next;
      if (members.length === 0) continue;
      const { removed, pipelines } = await this.store.run((redis) => unlinkByNode(redis, members, this.options));
      // Only now may the members leave the set: a crash before this line leaves them to the next call.
      await this.store.run((redis) => redis.srem(draining, ...members));
      result.removed += removed;
      result.pipelines += pipelines;
      result.scanned += members.length;
    } while (cursor !== '0');
    return true;
  }
}
