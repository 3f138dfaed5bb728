import { ChaosRedis, testRedisConfig, waitFor } from '@cachelab/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { CacheUnavailableError } from '../src/circuit-breaker';
import { countingLoader, newCache, productionStore } from './helpers';

describe('graceful degradation (Redis unreachable)', () => {
  let chaos: ChaosRedis | undefined;
  afterEach(async () => chaos?.close());

  it('serves from the database while Redis is down, trips the breaker, and resumes caching', async () => {
    chaos = await ChaosRedis.forTestStack(testRedisConfig());
    const store = await productionStore(chaos.config);
    const cache = newCache<string>(store);
    const load = countingLoader('from-db');

    expect((await cache.get(1, load)).result).toBe('miss');
    expect((await cache.get(1, load)).result).toBe('hit');

    chaos.down();
    for (let i = 0; i < 10; i++) {
      expect(await cache.get(1, load)).toEqual({ value: 'from-db', result: 'bypass' });
    }
    expect(store.breaker.state).toBe('open');
    // An open breaker refuses without trying Redis: no timeout is paid.
    await expect(store.run((redis) => redis.ping())).rejects.toBeInstanceOf(CacheUnavailableError);

    chaos.up();
    await waitFor(async () => (await cache.get(1, load)).result === 'hit', { what: 'caching to resume' });
    expect(store.breaker.state).toBe('closed');
  });

  it('a write during the outage is not undone by the old entry once Redis is back', async () => {
    chaos = await ChaosRedis.forTestStack(testRedisConfig());
    const store = await productionStore(chaos.config);
    const cache = newCache<string>(store);
    const database = { row: 'old' };
    const load = async () => database.row;

    await cache.get(2, load); // cached: old
    chaos.down();
    database.row = 'new';
    expect(await cache.invalidate(2)).toBe('deferred'); // Redis unreachable: retried later
    expect(await cache.get(2, load)).toEqual({ value: 'new', result: 'bypass' });

    chaos.up();
    await waitFor(async () => (await cache.get(2, load)).result === 'hit', { what: 'caching to resume' });
    expect((await cache.get(2, load)).value).toBe('new');
  });
});
