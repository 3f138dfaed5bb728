import { CacheAttributes as A, withSpan } from '@cachelab/telemetry';
import { failOnError, unlinkByNode } from './cluster-batches';
import { entityKey } from './keys';
import type { CacheStore } from './store';

export { versionKeyOf } from './cluster-batches';

/** tag-freeze-3.lua, as an ioredis command. */
export interface TagScripts {
  tagFreeze(keys: string, draining: string, frozen: string, drainTtlMs: number, freeze: number): Promise<1 | 0 | -1>;
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
 *
 * A fill learns an entry's tags from the row it loaded, so it can register the key only after its
 * database read. An invalidation that freezes and drains the tag in between would miss it: the
 * key lands in the new set, its version is never bumped, and the fill writes the old row back.
 * So every freeze is numbered (one counter per index, `epochKey`) and leaves its number beside the
 * tag (`frozenKey`); a fill reads the counter before its database read (`epoch()`) and hands it to
 * `add`, which invalidates the entry itself when one of its tags was frozen after that point.
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

  /** The number of the tag's latest freeze (tag-freeze-3.lua). */
  frozenKey(tag: string): string {
    return entityKey(this.namespace, tag, 'frozen');
  }

  /**
   * The index's freeze counter, one key for every tag (no TTL: volatile-lru never evicts it). Read
   * once per fill of a tagged namespace, written once per freeze.
   */
  epochKey(): string {
    return entityKey(this.namespace, 'index', 'freezes');
  }

  /**
   * The freeze counter now. A fill reads it before its database read and passes it to `add` as
   * `loadedAfter`. @throws CacheUnavailableError
   */
  async epoch(): Promise<number> {
    return Number((await this.store.run((redis) => redis.get(this.epochKey()))) ?? 0);
  }

  /**
   * Registers `key` under each tag. Call before the entry is written, so that an invalidation
   * that starts in between finds it.
   *
   * With `loadedAfter` (the `epoch()` read before the value was loaded): when one of the tags was
   * frozen since, an invalidation ran between that load and this call and did not see the key, so
   * the entry is invalidated here as the drain would have done (its version bumped, so that the
   * fill's write-back is refused). Returns false then. @throws CacheUnavailableError
   */
  async add(key: string, tags: readonly string[], { loadedAfter }: { loadedAfter?: number } = {}): Promise<boolean> {
    if (tags.length === 0) return true;
    // One pipeline per tag: each tag's sets live in its own slot. The freeze mark is read after the
    // SADD: a freeze that comes later moves the key into the set it drains.
    const frozen = await this.store.run((redis) =>
      Promise.all(
        tags.map(async (tag) => {
          const replies = failOnError(
            await redis.pipeline().sadd(this.setKey(tag), key).pexpire(this.setKey(tag), this.options.ttlMs).get(this.frozenKey(tag)).exec(),
          );
          return Number(replies[2] ?? 0);
        }),
      ),
    );
    if (loadedAfter === undefined || frozen.every((freeze) => freeze <= loadedAfter)) return true;
    await this.store.run((redis) => unlinkByNode(redis, [key], { ...this.options, bumpVersions: true }));
    return false;
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

  /** Numbers the freeze first: a fill that read the counter before this INCR will see the mark. */
  private freeze(tag: string): Promise<1 | 0 | -1> {
    return this.store.run(async (redis) => {
      const freeze = await redis.incr(this.epochKey());
      return (redis as typeof redis & TagScripts).tagFreeze(this.setKey(tag), this.drainingKey(tag), this.frozenKey(tag), this.options.ttlMs, freeze);
    });
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
