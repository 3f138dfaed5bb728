export { CacheAside, type CacheAsideOptions } from './cache-aside';
export { CacheUnavailableError, RedisCircuitBreaker, type BreakerOptions, type BreakerState } from './circuit-breaker';
export { decode, encode, type Entry, type Envelope } from './envelope';
export { EntryWriter, type EntryPolicy } from './entry-writer';
export { Invalidator } from './invalidation';
export { encodeKeyPart, entityKey, entityKeys, type EntityKeys } from './keys';
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
  type ApplyBatch,
  type Batch,
  type Delta,
  type FlushedBatch,
  type FlushHooks,
  type FlushReport,
  type IdentifiedIncrement,
  type Increment,
  type PendingView,
  type RevokeOutcome,
  type TraceRef,
  type WriteBehindOptions,
} from './write-behind';
export { ShardedLeaderboard, mergeTop, type LeaderboardOptions, type RankEntry } from './leaderboard';
export { shardOf, shardTag, type ShardKeys } from './write-behind-keys';
export { failOnError, groupByNode, unlinkByNode, versionKeyOf, type UnlinkOptions } from './cluster-batches';
export { Generations, VersionedCache, type GenerationsOptions, type VersionedCacheOptions, type VersionedRead } from './generations';
export { hashedKey, hashedKeyPart, normaliseText, type NormaliseOptions } from './hashed-keys';
export { ReadThrough, ReadThroughCache, type EntityId, type ReadThroughOptions } from './read-through';
export { TagIndex, type TagIndexOptions, type TagInvalidation } from './tag-invalidation';
export { WriteThrough, type DropAllResult, type WriteThroughOptions, type WriteThroughOutcome } from './write-through';
export { CacheRepairer, MemoryRepairLog, cacheRepairs, type CacheRepair, type RepairerOptions, type RepairLog } from './write-through-repair';
export { NearCache, type NearCacheOptions, type NearCacheStats, type NearRead, type NearResult } from './near-cache';
export type { ChannelTransport } from './near-cache-channel';
export { BloomFilter, type BloomAddOutcome, type BloomCheck, type BloomFilterOptions } from './bloom-filter';
export { BloomRebuilder, type BloomId, type BloomIdSource, type BloomRebuild } from './bloom-rebuild';
export { type BloomStats, type FalsePositiveReport } from './bloom-stats';
export {
  BloomCoverage,
  drainBacklog,
  type AuditReport,
  type BacklogListener,
  type BloomBacklog,
  type BloomCoverageOptions,
  type CoverageEvent,
  type CoverageState,
  type CreatedOutcome,
  type DrainReport,
} from './bloom-coverage';
export { detectBloomBackend, type BloomBackend } from './bloom-backend';
export { bloomParameters, expectedFalsePositiveRate, MAX_BITMAP_BITS, type BloomParameters } from './bloom-math';
