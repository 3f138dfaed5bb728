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
  [CacheAttributes.rateLimitAllowed]?: boolean;
  [CacheAttributes.rateLimitRemaining]?: number;
};
