import { describe, expect, it } from 'vitest';
import { decode } from '../src/envelope';
import { countingLoader, newCache, newStore } from './helpers';

describe('cache-aside', () => {
  it('misses once, then hits without touching the origin', async () => {
    const cache = newCache<{ name: string }>(await newStore());
    const load = countingLoader({ name: 'Ada' });

    expect(await cache.get(1, load)).toEqual({ value: { name: 'Ada' }, result: 'miss' });
    expect(await cache.get(1, load)).toEqual({ value: { name: 'Ada' }, result: 'hit' });
    expect(load.calls).toBe(1);
  });

  it('stores the value with a jittered TTL under a hash-tagged key', async () => {
    const store = await newStore();
    const cache = newCache<string>(store, { ttlMs: 10_000, jitter: 0.1 });
    await cache.get(7, countingLoader('v'));

    const keys = cache.keys(7);
    expect(keys.entry).toMatch(/^ns\w+:\{7\}:profile$/);
    const ttl = await store.redis.pttl(keys.entry);
    expect(ttl).toBeGreaterThan(8_000);
    expect(ttl).toBeLessThanOrEqual(11_000);
    expect(decode(await store.redis.get(keys.entry))).toMatchObject({ kind: 'value', value: 'v' });
  });

  it('invalidation drops the entry so the next read loads the new row', async () => {
    const cache = newCache<string>(await newStore());
    await cache.get(3, countingLoader('old'));
    expect(await cache.invalidate(3)).toBe('invalidated');

    const fresh = countingLoader('new');
    expect(await cache.get(3, fresh)).toEqual({ value: 'new', result: 'miss' });
    expect(fresh.calls).toBe(1);
  });

  it('treats a corrupt entry as a miss, never as data', async () => {
    const store = await newStore();
    const cache = newCache<string>(store);
    await store.redis.set(cache.keys(5).entry, '{not json');
    expect(await cache.get(5, countingLoader('from-db'))).toEqual({ value: 'from-db', result: 'miss' });
  });
});
