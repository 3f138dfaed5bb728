import { describe, expect, it } from 'vitest';
import { encode } from '../src/envelope';
import { shouldRefreshEarly } from '../src/xfetch';
import { countingLoader, newCache, newStore } from './helpers';

describe('probabilistic early refresh (XFetch)', () => {
  const expiry = 10_000;

  it('never refreshes far from expiry, always at expiry', () => {
    expect(shouldRefreshEarly(expiry, 100, 1, 0, () => 0.5)).toBe(false);
    expect(shouldRefreshEarly(expiry, 100, 1, expiry, () => 0.999)).toBe(true);
  });

  it('refreshes earlier for slow-to-compute values and larger beta', () => {
    const now = expiry - 200;
    const roll = () => 0.1; // -ln(0.1) = 2.3
    expect(shouldRefreshEarly(expiry, 50, 1, now, roll)).toBe(false); // 50 * 2.3 = 115 < 200
    expect(shouldRefreshEarly(expiry, 100, 1, now, roll)).toBe(true); // 230 >= 200
    expect(shouldRefreshEarly(expiry, 50, 2, now, roll)).toBe(true); // 230 >= 200
  });

  it('the chance of refreshing rises as expiry nears', () => {
    const share = (remaining: number) => {
      let hits = 0;
      for (let i = 0; i < 10_000; i++) if (shouldRefreshEarly(expiry, 100, 1, expiry - remaining)) hits++;
      return hits / 10_000;
    };
    // P = exp(-remaining / delta): ~0.61 at 50 ms, ~0.007 at 500 ms
    expect(share(50)).toBeGreaterThan(0.5);
    expect(share(500)).toBeLessThan(0.05);
  });

  it('a hit near expiry starts a background refresh and still answers the cached value', async () => {
    const store = await newStore();
    const cache = newCache<string>(store, { earlyRefreshBeta: 1_000_000 });
    await store.redis.set(cache.keys(1).entry, encode('cached', Date.now() + 5_000, 50), 'PX', 60_000);

    const load = countingLoader('refreshed');
    expect(await cache.get(1, load)).toEqual({ value: 'cached', result: 'hit' });
    await cache.settled();
    expect(load.calls).toBe(1);
    expect((await cache.get(1, countingLoader('x'))).value).toBe('refreshed');
  });
});
