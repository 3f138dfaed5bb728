import { describe, expect, it } from 'vitest';
import { countingLoader, newCache, newStore } from './helpers';

describe('negative caching', () => {
  it('caches "not found" as a short-lived tombstone', async () => {
    const store = await newStore();
    const cache = newCache<string>(store, { negativeTtlMs: 2_000 });
    const missing = countingLoader<string>(null);

    expect(await cache.get(404, missing)).toEqual({ value: null, result: 'miss' });
    expect(await cache.get(404, missing)).toEqual({ value: null, result: 'negative' });
    expect(missing.calls).toBe(1);
    const ttl = await store.redis.pttl(cache.keys(404).entry);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2_000);
  });

  it('creating the record removes the tombstone', async () => {
    const cache = newCache<string>(await newStore());
    await cache.get(9, countingLoader<string>(null));
    await cache.invalidate(9); // what the service does after INSERT commits

    expect(await cache.get(9, countingLoader('created'))).toEqual({ value: 'created', result: 'miss' });
  });

  it('is off when negativeTtlMs is 0', async () => {
    const cache = newCache<string>(await newStore(), { negativeTtlMs: 0 });
    const missing = countingLoader<string>(null);
    await cache.get(1, missing);
    expect((await cache.get(1, missing)).result).toBe('miss');
    expect(missing.calls).toBe(2);
  });
});
