import { describe, expect, it } from 'vitest';
import { encode } from '../src/envelope';
import { countingLoader, gate, newCache, newStore } from './helpers';

describe('stale-while-revalidate', () => {
  it('serves the expired value at once and refreshes it once in the background', async () => {
    const store = await newStore();
    const cache = newCache<string>(store, { ttlMs: 60_000, staleWindowMs: 60_000 });
    const keys = cache.keys(1);
    // An entry whose logical expiry has passed but which Redis still holds (stale window).
    await store.redis.set(keys.entry, encode('old', Date.now() - 1, 5), 'PX', 60_000);

    const database = gate();
    const load = async () => {
      load.calls += 1;
      await database.opened;
      return 'new';
    };
    load.calls = 0;

    const reads = await Promise.all(Array.from({ length: 20 }, () => cache.get(1, load)));
    expect(reads.every((read) => read.value === 'old' && read.result === 'stale')).toBe(true);

    database.open();
    await cache.settled();
    expect(load.calls).toBe(1);
    expect(await cache.get(1, load)).toEqual({ value: 'new', result: 'hit' });
  });

  it('without a stale window an expired entry is a miss', async () => {
    const store = await newStore();
    const cache = newCache<string>(store, { staleWindowMs: 0 });
    await store.redis.set(cache.keys(2).entry, encode('old', Date.now() - 1, 5), 'PX', 60_000);
    expect(await cache.get(2, countingLoader('new'))).toEqual({ value: 'new', result: 'miss' });
  });
});
