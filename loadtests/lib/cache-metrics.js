// What the services' `x-cache` header says about each cached read, as k6 metrics tagged by route:
//   cache_<result>      Counter per result (hit, miss, stale, negative, coalesced, bypass)
//   cache_unlabelled    Counter of cached reads answered without a header, or with an unknown value
//   cache_hit_ratio     Rate: of the reads that consulted the cache, the share answered without a
//                       trip of their own to the origin (see SERVED_FROM_CACHE)
// Metrics are created at import, in k6's init context, as k6 requires.
import { Counter, Rate } from 'k6/metrics';

export const CACHE_RESULTS = ['hit', 'miss', 'stale', 'negative', 'coalesced', 'bypass'];

// Answered from Redis: a fresh or stale entry, a cached "not found", or the value another request
// was already loading (the stampede protection coalesced it). `miss` went to the origin; `bypass`
// did not consult the cache at all, so it is counted but left out of the ratio.
const SERVED_FROM_CACHE = new Set(['hit', 'stale', 'negative', 'coalesced']);

const counters = new Map(CACHE_RESULTS.map((result) => [result, new Counter(`cache_${result}`)]));
const unlabelled = new Counter('cache_unlabelled');
export const cacheHitRatio = new Rate('cache_hit_ratio');

/**
 * Records the x-cache result of one response of a cached read.
 * @param {import('k6/http').RefinedResponse<any>} res
 * @param {string} route the route template, e.g. "GET /users/:id"
 * @returns {string | undefined} the result, when the header held a known one
 */
export function recordCacheResult(res, route) {
  const tags = { route };
  const header = res.headers['X-Cache'];
  // A request that failed outright already counts in http_req_failed; without a header it says
  // nothing about the cache.
  if (header === undefined && (res.status === 0 || res.status >= 500)) return undefined;
  const result = String(header ?? '').trim().toLowerCase();
  const counter = counters.get(result);
  if (!counter) {
    unlabelled.add(1, tags);
    return undefined;
  }
  counter.add(1, tags);
  if (result !== 'bypass') cacheHitRatio.add(SERVED_FROM_CACHE.has(result), tags);
  return result;
}

/**
 * Threshold entries that make k6 keep per-route sub-metrics of the cache metrics, so that the
 * end-of-test summary (and the JSON report) can break them down by route. Merge them into
 * `options.thresholds`; they hold no limit and never fail.
 * @param {string[]} routes
 */
export function cacheMetricsByRoute(routes) {
  const names = [...CACHE_RESULTS.map((result) => `cache_${result}`), 'cache_unlabelled', 'cache_hit_ratio'];
  const thresholds = {};
  for (const route of routes) for (const name of names) thresholds[`${name}{route:${route}}`] = [];
  return thresholds;
}
