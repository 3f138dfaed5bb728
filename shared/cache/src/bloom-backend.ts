import type { CacheStore } from './store';

/**
 * Where the filter's bits live: a plain Redis bitmap driven by Lua (any Redis), or the RedisBloom
 * module's native filter (`BF.*`, in Redis Stack and Redis 8) when the server has it. The Lua
 * scripts read the backend from the filter's parameters, so readers never need to know.
 */
export type BloomBackend = 'bitmap' | 'redisbloom';

/** 'redisbloom' when the server knows BF.ADD (COMMAND INFO answers [null] for unknown commands). */
export async function detectBloomBackend(store: CacheStore): Promise<BloomBackend> {
  const info = await store.run((redis) => redis.call('COMMAND', 'INFO', 'BF.ADD'));
  return Array.isArray(info) && info[0] ? 'redisbloom' : 'bitmap';
}
