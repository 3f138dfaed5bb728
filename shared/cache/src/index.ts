export { CacheAside, type CacheAsideOptions } from './cache-aside';
export { CacheUnavailableError, RedisCircuitBreaker, type BreakerOptions, type BreakerState } from './circuit-breaker';
export { decode, encode, type Entry, type Envelope } from './envelope';
export { EntryWriter, type EntryPolicy } from './entry-writer';
export { Invalidator } from './invalidation';
export { entityKey, entityKeys, type EntityKeys } from './keys';
export { SlidingWindowRateLimiter, type RateLimitDecision } from './rate-limit';
export { RedisLock, type Lock } from './redis-lock';
export { SingleFlight } from './single-flight';
export { StampedeProtection, type StampedeOptions } from './stampede-protection';
export { BackgroundRefresher, type RefreshReason } from './stale-while-revalidate';
export { CacheStore, LUA_DIR, type CacheRedis, type CacheScripts } from './store';
export { withJitter } from './ttl';
export type { CacheRead, CacheResult, Loader } from './types';
export { shouldRefreshEarly } from './xfetch';
export {
  WriteBehindCounter,
  mergeTop,
  type ApplyBatch,
  type Batch,
  type Delta,
  type FlushedBatch,
  type FlushHooks,
  type FlushReport,
  type Increment,
  type PendingView,
  type RankEntry,
  type TraceRef,
  type WriteBehindOptions,
} from './write-behind';
export { shardOf, shardTag, type ShardKeys } from './write-behind-keys';
