import { testRedisMode, uniqueName } from '@cachelab/testing';
import { describe, expect, it } from 'vitest';
import { groupByNode } from '../src/cluster-batches';
import { entityKey } from '../src/keys';
import { TagIndex, versionKeyOf } from '../src/tag-invalidation';
import type { CacheStore } from '../src/store';
import { newCache, newStore } from './helpers';

/** `count` entity entries with one tag (`tag`), every 3rd also tagged `other`. */
async function tagged(store: CacheStore, tags: TagIndex, namespace: string, count: number, tag: string, other: string) {
  const keys = Array.from({ length: count }, (_, i) => entityKey(namespace, i + 1, 'row'));
  await inChunks(keys, (key) => store.redis.set(key, 'cached', 'PX', 60_000));
  await inChunks([...keys.entries()], ([i, key]) => tags.add(key, i % 3 === 0 ? [tag, other] : [tag]));
  return keys;
}

/** At most 100 commands in flight: the cache connections time out after 500 ms on a busy machine. */
async function inChunks<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += 100) results.push(...(await Promise.all(items.slice(i, i + 100).map(fn))));
  return results;
}

const existing = async (store: CacheStore, keys: string[]) =>
  (await inChunks(keys, (key) => store.redis.exists(key))).reduce<number>((sum, n) => sum + n, 0);

describe('tag invalidation', () => {
  it('removes every entry of a tag, spread over the slots of every node, in per-node batches', async () => {
    const store = await newStore();
    const tags = new TagIndex(store, { namespace: uniqueName('tag'), ttlMs: 60_000, batchSize: 200 });
    const [tag, other] = ['brand-acme', 'promo-spring'];
    const keys = await tagged(store, tags, uniqueName('p'), 1500, tag, other);

    const groups = groupByNode(store.redis, keys, (key) => key);
    if (testRedisMode() === 'cluster') expect(groups.length).toBeGreaterThan(1); // the keys live on more than one node

    const result = await tags.invalidate(tag);
    expect(result).toMatchObject({ tag, removed: 1500, scanned: 1500, done: true });
    expect(result.pipelines).toBeGreaterThanOrEqual(Math.ceil(1500 / 200));
    expect(await existing(store, keys)).toBe(0);
    expect(await store.redis.exists(tags.setKey(tag), tags.drainingKey(tag))).toBe(0);
    // The other tag's set still lists its keys (now gone): invalidating it is a no-op on them.
    expect(await tags.invalidate(other)).toMatchObject({ removed: 0, scanned: 500, done: true });
  });

  it('bounds the work of one call and resumes where it stopped', async () => {
    const store = await newStore();
    const tags = new TagIndex(store, { namespace: uniqueName('tag'), ttlMs: 60_000, batchSize: 100 });
    const keys = await tagged(store, tags, uniqueName('p'), 1000, 'big', 'small');

    const first = await tags.invalidate('big', { maxKeys: 300 });
    expect(first.done).toBe(false);
    expect(first.scanned).toBeGreaterThanOrEqual(300);
    expect(first.scanned).toBeLessThan(1000);
    expect(await existing(store, keys)).toBe(1000 - first.removed);

    // An entry tagged after the first call started is not part of that invalidation, but of the next.
    const late = entityKey(uniqueName('p'), 1, 'row');
    await store.redis.set(late, 'late', 'PX', 60_000);
    await tags.add(late, ['big']);

    const rest = await tags.invalidate('big');
    expect(rest.done).toBe(true);
    expect(first.removed + rest.removed).toBe(1001);
    expect(await existing(store, [...keys, late])).toBe(0);
  });

  it('with bumpVersions, a fill that loaded before the invalidation cannot write its entry back', async () => {
    const store = await newStore();
    const cache = newCache<string>(store);
    const tags = new TagIndex(store, { namespace: uniqueName('tag'), ttlMs: 60_000, bumpVersions: true });
    const keys = cache.keys(1);
    expect(versionKeyOf(keys.entry)).toBe(keys.version);

    await cache.get(1, async () => 'old');
    await tags.add(keys.entry, ['promo']);
    const seenVersion = (await store.redis.get(keys.version)) ?? '0'; // a reader starts a fill here...
    await tags.invalidate('promo');
    expect(await store.redis.exists(keys.entry)).toBe(0);
    // ...and its versioned write-back is refused.
    expect(await store.redis.setIfVersion(keys.entry, keys.version, seenVersion, 'old', 60_000)).toBe(0);
  });

  it('a fill that read its row before a freeze and tags its key after it refuses its own write-back', async () => {
    const store = await newStore();
    const cache = newCache<string>(store);
    const tags = new TagIndex(store, { namespace: uniqueName('tag'), ttlMs: 60_000 });
    const keys = cache.keys(1);

    const seenVersion = (await store.redis.get(keys.version)) ?? '0'; // a fill starts...
    const loadedAfter = await tags.epoch(); // ...reads the freeze counter, then the row, and learns its tags
    // Meanwhile the tag is invalidated: its set does not list the key yet.
    expect(await tags.invalidate('promo')).toMatchObject({ scanned: 0, done: true });
    expect(await tags.add(keys.entry, ['promo', 'brand'], { loadedAfter })).toBe(false);
    expect(await store.redis.setIfVersion(keys.entry, keys.version, seenVersion, 'old', 60_000)).toBe(0);

    // A fill that started after the invalidation is not its business.
    const version = (await store.redis.get(keys.version)) ?? '0';
    expect(await tags.add(keys.entry, ['promo', 'brand'], { loadedAfter: await tags.epoch() })).toBe(true);
    expect(await store.redis.setIfVersion(keys.entry, keys.version, version, 'new', 60_000)).toBe(1);
    // Its key is in the new set: the next invalidation finds it.
    expect(await tags.invalidate('promo')).toMatchObject({ removed: 1, done: true });
  });

  it('a tag nobody used: nothing to do', async () => {
    const store = await newStore();
    const tags = new TagIndex(store, { namespace: uniqueName('tag'), ttlMs: 60_000 });
    expect(await tags.invalidate('never-used')).toEqual({ tag: 'never-used', removed: 0, scanned: 0, pipelines: 0, done: true });
  });
});
