import { closeRedis, createRedis, waitForReady, type RedisConnectionConfig } from '@cachelab/redis';
import { afterAll } from 'vitest';
import type { BreakerOptions } from '../src/circuit-breaker';
import { CacheStore } from '../src/store';

const opened: CacheStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((store) => closeRedis(store.redis)));
});

/**
 * A store with the production command timeout, for outage tests that measure how long a caller
 * waits. A command already sent when the network is cut is answered by nothing: only that timeout
 * ends it (helpers.ts's `newStore` stretches it to 10 s for busy machines).
 */
export async function productionStore(config: RedisConnectionConfig, breaker: BreakerOptions = { volumeThreshold: 3, resetTimeoutMs: 200 }): Promise<CacheStore> {
  const redis = createRedis(config, { purpose: 'cache', connectionName: 'cache-outage-test' });
  redis.on('error', () => undefined);
  await waitForReady(redis);
  const store = new CacheStore(redis, breaker);
  opened.push(store);
  return store;
}
