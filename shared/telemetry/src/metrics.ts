import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BreakerStates, type BreakerState } from './attributes';

/**
 * The one registry every cachelab metric lives on; `/metrics` serves it. A registry of our own
 * rather than prom-client's global one, so that a library loaded twice cannot register twice.
 */
export const metricsRegistry = new Registry();

// Until a service names itself, samples still carry the label the contract promises.
metricsRegistry.setDefaultLabels({ service: 'unknown' });

/** Sets the `service` label carried by every sample; `startTelemetry` calls it too. */
export function setMetricsService(serviceName: string): void {
  metricsRegistry.setDefaultLabels({ service: serviceName });
}

collectDefaultMetrics({ register: metricsRegistry });

/** One count per cached read, by pattern and by how it was answered (`hit`, `miss`, ...). */
export const cacheRequests = new Counter({
  name: 'cachelab_cache_requests_total',
  help: 'Cached reads, by caching pattern and result (hit, miss, stale, negative, coalesced, bypass).',
  labelNames: ['pattern', 'result'] as const,
  registers: [metricsRegistry],
});

/** One count per query that reached the database: the origin load a cache is meant to shed. */
export const originQueries = new Counter({
  name: 'cachelab_origin_queries_total',
  help: 'Queries that reached the origin database, by operation.',
  labelNames: ['operation'] as const,
  registers: [metricsRegistry],
});

export const cacheOperationDuration = new Histogram({
  name: 'cachelab_cache_operation_duration_seconds',
  help: 'Duration of the steps of a caching pattern (lookup, lock, load, write, ...).',
  labelNames: ['pattern', 'step'] as const,
  // Redis round trips take tenths of a millisecond, origin loads and lock waits far longer.
  buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});

export const circuitBreakerState = new Gauge({
  name: 'cachelab_circuit_breaker_state',
  help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.',
  labelNames: ['breaker'] as const,
  registers: [metricsRegistry],
});

/** The gauge value of each breaker state. */
export const breakerStateValues: Readonly<Record<BreakerState, number>> = {
  [BreakerStates.closed]: 0,
  [BreakerStates.halfOpen]: 1,
  [BreakerStates.open]: 2,
};

export function setCircuitBreakerState(breaker: string, state: BreakerState): void {
  circuitBreakerState.set({ breaker }, breakerStateValues[state]);
}

export const rateLimited = new Counter({
  name: 'cachelab_rate_limited_total',
  help: 'Requests refused by a rate limiter, by route.',
  labelNames: ['route'] as const,
  registers: [metricsRegistry],
});

/** Writes to the cache that failed after the origin was updated: each one may leave a stale entry. */
export const cacheWriteFailures = new Counter({
  name: 'cachelab_cache_write_failures_total',
  help: 'Cache writes or invalidations that failed, by caching pattern.',
  labelNames: ['pattern'] as const,
  registers: [metricsRegistry],
});

export const metricsContentType: string = metricsRegistry.contentType;

/** The Prometheus text exposition of every metric, as served on `/metrics`. */
export function metricsText(): Promise<string> {
  return metricsRegistry.metrics();
}
