import { closeRedis, createRedis, waitForReady, type RedisConnectionConfig } from '@cachelab/redis';
import { testRedisConfig, uniqueName } from '@cachelab/testing';
import { afterAll } from 'vitest';
import { CacheAside, type CacheAsideOptions } from '../src/cache-aside';
import { CacheStore } from '../src/store';
import type { BreakerOptions } from '../src/circuit-breaker';

const opened: CacheStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((store) => closeRedis(store.redis)));
});

/** A CacheStore on its own connection to the suite's Redis (REDIS_MODE), closed after the file. */
export async function newStore(
  config: RedisConnectionConfig = testRedisConfig(),
  breaker?: BreakerOptions,
  { commandTimeoutMs = 10_000 }: { commandTimeoutMs?: number } = {},
): Promise<CacheStore> {
  // A generous command timeout by default: thousands of concurrent calls on a busy 2-core machine
  // can delay replies past the production 500 ms, which would (rightly) turn them into bypasses.
  // Outage tests use the production timeout (productionStore): a command in flight when the
  // network is cut is ended only by it.
  const redis = createRedis(config, { purpose: 'cache', connectionName: 'cache-test', commandTimeoutMs });
  redis.on('error', () => undefined); // outages are the subject of some tests; the breaker sees them
  await waitForReady(redis);
  const store = new CacheStore(redis, breaker);
  opened.push(store);
  return store;
}

export function newCache<T>(store: CacheStore, options: Partial<CacheAsideOptions> = {}): CacheAside<T> {
  return new CacheAside<T>(store, { namespace: uniqueName('ns'), kind: 'profile', ttlMs: 60_000, negativeTtlMs: 5_000, ...options });
}

/** A loader that counts its calls, like a database that counts queries. */
export function countingLoader<T>(value: T | null) {
  const loader = async () => {
    loader.calls += 1;
    return value;
  };
  loader.calls = 0;
  return loader;
}

/** A promise the test resolves by hand: a database query that is "slow" until the test says so. */
export function gate<T = void>() {
  let open!: (value: T) => void;
  const opened = new Promise<T>((resolve) => (open = resolve));
  return { opened, open };
}

/** A store with the production command timeout, for tests that cut the network. */
export const productionStore = (config: RedisConnectionConfig, breaker: BreakerOptions = { volumeThreshold: 3, resetTimeoutMs: 200 }) =>
  newStore(config, breaker, { commandTimeoutMs: 500 });
