import { describe, expect, it } from 'vitest';
import { countingLoader, gate, newCache, newStore } from './helpers';

/**
 * The race every cache-aside implementation has to close:
 *   1. reader misses and queries the database: it gets the OLD row
 *   2. writer commits the NEW row and invalidates the cache
 *   3. reader, slow, writes the OLD row back into the cache
 * Without a guard the cache now serves the old row until the TTL ends.
 */
describe('invalidation race (slow reader vs writer)', () => {
  it('refuses the slow reader\'s write-back after an invalidation', async () => {
    const store = await newStore();
    const cache = newCache<string>(store);
    const database = { row: 'old' };
    const queryDone = gate();
    const queryStarted = gate();

    const slowRead = cache.get(42, async () => {
      const row = database.row; // 1. the reader has read the old row...
      queryStarted.open();
      await queryDone.opened; // ...and stalls before writing it back
      return row;
    });
    await queryStarted.opened;

    database.row = 'new'; // 2. the writer commits
    await cache.invalidate(42); //    and invalidates

    queryDone.open(); // 3. the slow reader finishes
    expect(await slowRead).toEqual({ value: 'old', result: 'miss' }); // it answers what it read...
    expect(await store.redis.get(cache.keys(42).entry)).toBeNull(); // ...but could not cache it

    const next = countingLoader(database.row);
    expect(await cache.get(42, next)).toEqual({ value: 'new', result: 'miss' });
    expect(await cache.get(42, next)).toEqual({ value: 'new', result: 'hit' });
  });

  it('an unguarded SET would have cached the old row (the test can fail)', async () => {
    const store = await newStore();
    const cache = newCache<string>(store);
    const keys = cache.keys(43);
    const [, seenVersion] = await store.redis.mget(keys.entry, keys.version);
    await cache.invalidate(43);
    // The guarded write with the version seen before the invalidation is refused...
    expect(await store.redis.setIfVersion(keys.entry, keys.version, seenVersion ?? '0', '"old"', 60_000)).toBe(0);
    // ...and the current version is accepted.
    const current = (await store.redis.get(keys.version)) ?? '0';
    expect(await store.redis.setIfVersion(keys.entry, keys.version, current, '"new"', 60_000)).toBe(1);
  });
});
