import { CacheAside, CacheStore, SlidingWindowRateLimiter } from '@cachelab/cache';
import type { RedisClient } from '@cachelab/redis';
import type { UserServiceConfig } from '../config';
import type { UserSummary } from '../db/summary';
import type { Profile } from './profile';

/**
 * The caching decisions of the user service, in one place:
 * - profiles: cache-aside, 5 min TTL with 10% jitter, "no such user" cached 30 s (negative
 *   caching), stampede protection (single flight + Redis lease), versioned invalidation on write.
 * - summaries: an expensive aggregate, so it is never recomputed on the request path once cached:
 *   probabilistic early refresh (XFetch) before expiry, then a stale-while-revalidate window.
 * - writes: a sliding-window rate limit per client.
 */
export function createUserCaches(redis: RedisClient, config: UserServiceConfig) {
  const store = new CacheStore(redis, { name: 'user-redis' });
  const namespace = `${config.CACHE_KEY_PREFIX}user`;
  const profiles = new CacheAside<Profile>(store, {
    namespace,
    kind: 'profile',
    pattern: 'cache-aside',
    ttlMs: config.PROFILE_TTL_MS,
    negativeTtlMs: config.NEGATIVE_TTL_MS,
    waitTimeoutMs: config.LOCK_WAIT_MS,
  });
  const summaries = new CacheAside<UserSummary>(store, {
    namespace,
    kind: 'summary',
    pattern: 'stale-while-revalidate',
    ttlMs: config.SUMMARY_TTL_MS,
    staleWindowMs: config.SUMMARY_STALE_MS,
    earlyRefreshBeta: config.SUMMARY_XFETCH_BETA > 0 ? config.SUMMARY_XFETCH_BETA : undefined,
    negativeTtlMs: config.NEGATIVE_TTL_MS,
    waitTimeoutMs: config.LOCK_WAIT_MS,
  });
  const writeLimiter = new SlidingWindowRateLimiter(store, {
    name: `${namespace}-writes`,
    limit: config.RATE_LIMIT_WRITES,
    windowMs: config.RATE_LIMIT_WINDOW_MS,
  });
  return { store, profiles, summaries, writeLimiter };
}

export type UserCaches = ReturnType<typeof createUserCaches>;
