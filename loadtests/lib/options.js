// The k6 options every scenario shares: route tags instead of URLs, the same latency statistics,
// and the same failure thresholds, around one of three load shapes:
//   arrivalRateOptions  an open model at a constant arrival rate (the pattern scenarios)
//   closedLoopOptions   a fixed number of clients, each sending its next request when the last one
//                       answered, so that throughput is what the server can do (lab comparisons)
//   burstOptions        N clients sending one request each at the same moment (a stampede)

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
  return shared(
    {
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
    { maxFailedRate, thresholds, extra },
  );
}

/**
 * `vus` clients in a loop for `duration`: the request rate is whatever the server sustains, so
 * `http_reqs` rate is its throughput at that concurrency.
 * @param {{ scenario: string, vus: number, duration: string, maxFailedRate: number,
 *   thresholds: Record<string, string[]>, extra?: object }} spec
 */
export function closedLoopOptions({ scenario, vus, duration, maxFailedRate, thresholds, extra = {} }) {
  return shared({ [scenario]: { executor: 'constant-vus', vus, duration } }, { maxFailedRate, thresholds, extra });
}

/**
 * `vus` clients, one request each, all released together once every VU is initialised: a burst of
 * concurrent requests such as a cold key under heavy traffic receives.
 * @param {{ scenario: string, vus: number, maxFailedRate: number, thresholds: Record<string, string[]>,
 *   maxDuration?: string, extra?: object }} spec
 */
export function burstOptions({ scenario, vus, maxFailedRate, thresholds, maxDuration = '30s', extra = {} }) {
  return shared(
    { [scenario]: { executor: 'per-vu-iterations', vus, iterations: 1, maxDuration } },
    { maxFailedRate, thresholds, extra },
  );
}

function shared(scenarios, { maxFailedRate, thresholds, extra }) {
  return {
    scenarios,
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
