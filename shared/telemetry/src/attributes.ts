/**
 * The custom span attributes cachelab registers, in one place (like the OpenTelemetry demo's
 * telemetry-schema): code sets them through these constants so that a dashboard or a test can
 * rely on one spelling.
 */
export const CacheAttributes = {
  /** Which caching pattern served the call: `cache-aside`, `write-through`, ... */
  pattern: 'cache.pattern',
  /** What the cache did for this call or step, one of {@link SpanResult}. */
  result: 'cache.result',
  key: 'cache.key',
  namespace: 'cache.namespace',
  lockAcquired: 'cache.lock.acquired',
  lockWaitMs: 'cache.lock.wait_ms',
  ttlMs: 'cache.ttl_ms',
  stale: 'cache.stale',
  /** True when a probabilistic early refresh (XFetch) recomputed a value before it expired. */
  earlyRefresh: 'cache.early_refresh',
  /** `closed`, `half-open` or `open`, see {@link BreakerStates}. */
  breakerState: 'cache.breaker.state',
  /** True on a read that waited for another instance's Redis lease (stampede protection) before answering. */
  lockWaited: 'cache.lock.waited',
  /** `follower` on a read that shared another request's load in this process (single flight). */
  singleFlight: 'cache.single_flight',
  /**
   * The span a single-flight follower's value came from (the leader's origin load), also recorded
   * as an OpenTelemetry span link; copied here because Zipkin's model has no links.
   */
  leaderTraceId: 'cache.leader.trace_id',
  leaderSpanId: 'cache.leader.span_id',
  /** On a span link: why the spans are related (`single-flight-leader`). */
  link: 'cache.link',
  /** Why a background refresh ran: `stale` (served past expiry) or `early` (XFetch). */
  refreshReason: 'cache.refresh.reason',
  /** Why a read went around Redis: see {@link BypassReasons}. */
  bypassReason: 'cache.bypass.reason',
  /** The Redis-level result under a near-cache read (`cache.result` is the memory layer's). */
  innerResult: 'cache.inner_result',
  /** The committed row's version a write-through carries. */
  rowVersion: 'cache.row_version',
  /** Rows, entries dropped, entries already superseded and repairs recorded by a bulk drop. */
  rows: 'cache.rows',
  dropped: 'cache.dropped',
  superseded: 'cache.superseded',
  repairPending: 'cache.repair_pending',
  /** Repairs applied by one pass of the write-through repairer. */
  repairs: 'cache.repairs',
  /** The tag a tag invalidation removed, and what it did. */
  tag: 'cache.tag',
  tagRemoved: 'cache.tag.removed',
  tagScanned: 'cache.tag.scanned',
  tagDone: 'cache.tag.done',
  /** Keys one near-cache invalidation dropped here and announced to the other instances. */
  nearCacheKeys: 'near_cache.keys',
  rateLimitAllowed: 'ratelimit.allowed',
  rateLimitRemaining: 'ratelimit.remaining',
} as const;

export type CacheAttributeName = (typeof CacheAttributes)[keyof typeof CacheAttributes];

/** How a cached read was answered; also the values of the `x-cache` response header. */
export const CacheResults = {
  hit: 'hit',
  miss: 'miss',
  stale: 'stale',
  negative: 'negative',
  coalesced: 'coalesced',
  bypass: 'bypass',
} as const;

export type CacheResult = (typeof CacheResults)[keyof typeof CacheResults];

/** Outcomes of the steps inside a pattern (lock, refresh, write), recorded on their own spans. */
export const StepResults = {
  acquired: 'acquired',
  timeout: 'timeout',
  refreshed: 'refreshed',
  error: 'error',
  written: 'written',
  rejected: 'rejected',
  /** A tag invalidation that went through the whole tag, or stopped at its budget (`partial`). */
  invalidated: 'invalidated',
  partial: 'partial',
  /** A stock reservation script took the units, or found the same order's reservation (`replayed`). */
  reserved: 'reserved',
  replayed: 'replayed',
  /**
   * Bloom filter coverage (shared/cache/src/bloom-coverage.ts): an outbox drain that added rows
   * (`drained`) or found none (`empty`); an audit that found every row in the filter (`sound`) or
   * some missing (`unsound`, followed by a rebuild); a create's add to the filter (`added`, or
   * `not-built` before the first build), or, when it failed, covered by another instance's drain
   * (`drained-elsewhere`) or not within its wait (`timed-out`).
   */
  added: 'added',
  notBuilt: 'not-built',
  drained: 'drained',
  empty: 'empty',
  sound: 'sound',
  unsound: 'unsound',
  drainedElsewhere: 'drained-elsewhere',
  timedOut: 'timed-out',
} as const;

export type StepResult = (typeof StepResults)[keyof typeof StepResults];

/** Every value `cache.result` may take. */
export type SpanResult = CacheResult | StepResult;

export const BreakerStates = {
  closed: 'closed',
  halfOpen: 'half-open',
  open: 'open',
} as const;

export type BreakerState = (typeof BreakerStates)[keyof typeof BreakerStates];

/** Values of `cache.bypass.reason`: why a read was served from the database without Redis. */
export const BypassReasons = {
  /** The circuit breaker is open: Redis failed recently, it is not even tried. */
  breakerOpen: 'breaker-open',
  /** A Redis call failed or timed out during this read. */
  redisUnavailable: 'redis-unavailable',
  /** An invalidation of this entry has not reached Redis yet: the entry there may be old. */
  pendingInvalidation: 'pending-invalidation',
  /** A write-through repair of this entry is pending: the entry there may be old. */
  pendingRepair: 'pending-repair',
  /** Caching is turned off (the benchmarks' baseline). */
  disabled: 'disabled',
} as const;

export type BypassReason = (typeof BypassReasons)[keyof typeof BypassReasons];

const cacheResultValues: ReadonlySet<string> = new Set(Object.values(CacheResults));

export function isCacheResult(value: unknown): value is CacheResult {
  return typeof value === 'string' && cacheResultValues.has(value);
}

/**
 * The value type of each registered attribute, for callers that want the compiler to check an
 * attribute bag: `const attrs: CacheSpanAttributes = { [CacheAttributes.result]: 'hit' }`. A type
 * alias, not an interface, so that it stays assignable to OpenTelemetry's `Attributes`.
 */
export type CacheSpanAttributes = {
  [CacheAttributes.pattern]?: string;
  [CacheAttributes.result]?: SpanResult;
  [CacheAttributes.key]?: string;
  [CacheAttributes.namespace]?: string;
  [CacheAttributes.lockAcquired]?: boolean;
  [CacheAttributes.lockWaitMs]?: number;
  [CacheAttributes.ttlMs]?: number;
  [CacheAttributes.stale]?: boolean;
  [CacheAttributes.earlyRefresh]?: boolean;
  [CacheAttributes.breakerState]?: BreakerState;
  [CacheAttributes.lockWaited]?: boolean;
  [CacheAttributes.singleFlight]?: 'leader' | 'follower';
  [CacheAttributes.leaderTraceId]?: string;
  [CacheAttributes.leaderSpanId]?: string;
  [CacheAttributes.link]?: string;
  [CacheAttributes.refreshReason]?: 'stale' | 'early';
  [CacheAttributes.bypassReason]?: BypassReason;
  [CacheAttributes.innerResult]?: CacheResult;
  [CacheAttributes.rowVersion]?: number;
  [CacheAttributes.rows]?: number;
  [CacheAttributes.dropped]?: number;
  [CacheAttributes.superseded]?: number;
  [CacheAttributes.repairPending]?: number;
  [CacheAttributes.repairs]?: number;
  [CacheAttributes.tag]?: string;
  [CacheAttributes.tagRemoved]?: number;
  [CacheAttributes.tagScanned]?: number;
  [CacheAttributes.tagDone]?: boolean;
  [CacheAttributes.nearCacheKeys]?: number;
  [CacheAttributes.rateLimitAllowed]?: boolean;
  [CacheAttributes.rateLimitRemaining]?: number;
};
