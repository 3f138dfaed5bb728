// The k6 options every scenario shares: one open-model scenario at a constant arrival rate, route
// tags instead of URLs, the same latency statistics, and the same failure thresholds.

/**
 * @param {object} spec
 * @param {string} spec.scenario the scenario's name in the summary
 * @param {number} spec.rate iterations started per second
 * @param {string} spec.duration a k6 duration ("30s")
 * @param {number} spec.maxVUs the ceiling of VUs k6 may add when requests slow down
 * @param {number} spec.minVUs VUs allocated before the start, at least (more at higher rates)
 * @param {number} spec.ratePerVU the rate one pre-allocated VU is expected to sustain
 * @param {number} spec.maxFailedRate the largest share of failed requests, and of failed checks
 * @param {Record<string, string[]>} spec.thresholds the scenario's own thresholds; `[]` keeps a
 *   metric (or a tagged sub-metric) in the summary without a limit
 * @param {object} [spec.extra] any other k6 option (teardownTimeout, ...)
 */
export function arrivalRateOptions({ scenario, rate, duration, maxVUs, minVUs, ratePerVU, maxFailedRate, thresholds, extra = {} }) {
  return {
    scenarios: {
      [scenario]: {
        executor: 'constant-arrival-rate',
        rate,
        timeUnit: '1s',
        duration,
        // A request takes a few ms, so few VUs keep up; the ceiling absorbs stalls (a failover, a
        // cold cache). Iterations k6 could not start in time show up as dropped_iterations.
        preAllocatedVUs: Math.min(maxVUs, Math.max(minVUs, Math.ceil(rate / ratePerVU))),
        maxVUs,
      },
    },
    maxRedirects: 0,
    // The url tag would make one time series per id; routes are tagged instead.
    systemTags: ['status', 'method', 'name', 'group', 'check', 'error', 'error_code', 'scenario', 'expected_response'],
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
    thresholds: {
      http_req_failed: [`rate<${maxFailedRate}`],
      checks: [`rate>${Number((1 - maxFailedRate).toFixed(6))}`],
      ...thresholds,
    },
    ...extra,
  };
}
