import { ChaosRedis, testRedisConfig, uniqueName, waitFor } from '@cachelab/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { Generations, VersionedCache } from '../src/generations';
import type { CacheStore } from '../src/store';
import { countingLoader, gate, newStore } from './helpers';

function pages(store: CacheStore) {
  const generations = new Generations(store, { namespace: uniqueName('gen'), maxPendingMs: 60_000, retryEveryMs: 50 });
  return new VersionedCache<string>(store, generations, { namespace: uniqueName('page'), kind: 'list', ttlMs: 60_000 });
}

describe('versioned keys (generation per group)', () => {
  let chaos: ChaosRedis | undefined;
  afterEach(async () => chaos?.close());

  it('caches a page under the group generation, and one INCR makes every page of the group unreachable', async () => {
    const store = await newStore();
    const cache = pages(store);
    const load = countingLoader('page v1');

    const first = await cache.get(7, 'p1', load);
    expect(first).toMatchObject({ value: 'page v1', result: 'miss' });
    expect(await cache.get(7, 'p1', load)).toMatchObject({ value: 'page v1', result: 'hit', generation: first.generation });
    await cache.get(7, 'p2', load);
    await cache.get(8, 'p1', load); // another group
    const oldKeys = [cache.keyOf(7, first.generation!, 'p1'), cache.keyOf(7, first.generation!, 'p2')];

    expect(await cache.generations.bump(7)).toBe('bumped');

    const next = countingLoader('page v2');
    const after = await cache.get(7, 'p1', next);
    expect(after).toMatchObject({ value: 'page v2', result: 'miss', generation: first.generation! + 1 });
    expect((await cache.get(7, 'p2', next)).result).toBe('miss');
    expect((await cache.get(8, 'p1', next)).result).toBe('hit'); // other groups keep their pages
    // Nothing was deleted: the old pages are still there, unreachable, and leave by TTL.
    for (const key of oldKeys) {
      expect(await store.redis.exists(key)).toBe(1);
      expect(await store.redis.pttl(key)).toBeGreaterThan(0);
    }
  });

  it('starts a missing counter at the server clock, so generations are not reused after an eviction', async () => {
    const store = await newStore();
    const cache = pages(store);
    const before = Date.now() * 1000;
    const generation = await cache.generations.current(3);
    expect(generation).toBeGreaterThanOrEqual(before - 5_000_000); // microseconds; the servers' clock is this machine's
    await cache.generations.bump(3);
    await store.redis.del(cache.generations.key(3)); // "evicted"
    expect(await cache.generations.current(3)).toBeGreaterThan(generation + 1);
  });

  it('a page loaded before the bump is written under the old generation, where nobody reads', async () => {
    const store = await newStore();
    const cache = pages(store);
    const started = gate();
    const release = gate();
    const slow = cache.get(5, 'p1', async () => {
      started.open();
      await release.opened;
      return 'old page';
    });
    await started.opened;
    await cache.generations.bump(5); // the writer commits and bumps while the reader is loading
    release.open();
    expect((await slow).value).toBe('old page');
    expect(await cache.get(5, 'p1', async () => 'new page')).toMatchObject({ value: 'new page', result: 'miss' });
  });

  it('a bump that cannot reach Redis is retried, and meanwhile the group is read from the database', async () => {
    chaos = await ChaosRedis.forTestStack(testRedisConfig());
    const store = await newStore(chaos.config, { volumeThreshold: 100 });
    const cache = pages(store);
    await cache.get(9, 'p1', async () => 'old page');

    chaos.down();
    expect(await cache.generations.bump(9)).toBe('deferred');
    expect(cache.generations.isPending(9)).toBe(true);
    chaos.up();
    // Redis is back, but the bump has not landed yet: the old page must not be served.
    expect(await cache.get(9, 'p1', async () => 'new page')).toMatchObject({ value: 'new page' });
    await waitFor(() => !cache.generations.isPending(9), { what: 'the deferred bump to land' });
    expect(await cache.get(9, 'p1', async () => 'new page')).toMatchObject({ value: 'new page', result: 'miss' });
    expect(await cache.get(9, 'p1', async () => 'newer page')).toMatchObject({ value: 'new page', result: 'hit' });
  });
});
