// Lab: the cache on vs off. The same profile reads (GET /users/:id on Zipf-popular seeded ids, RATE
// per second for DURATION) against a user-service with its cache and one with CACHE_ENABLED=false,
// measuring p95 latency and the database queries per read (cachelab_origin_queries_total, every
// operation, before and after).
//   VARIANT=cache-on   the stack's user-service (:3001)
//   VARIANT=cache-off  a twin started with CACHE_ENABLED=false (answers x-cache: bypass)
// The scenario checks that the service behaves as the variant says (x-cache bypass or not).
//   $(bash scripts/ensure-k6.sh) run -e VARIANT=cache-on loadtests/lab-reads.js
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { cacheMetricsByRoute, recordCacheResult } from './lib/cache-metrics.js';
import { durationEnv, loopbackBaseUrl, numberEnv, stringEnv } from './lib/env.js';
import { count, labSummary, requireReady, serviceMetric } from './lib/lab.js';
import { arrivalRateOptions } from './lib/options.js';
import { zipfSampler } from './lib/zipf.js';

const BASE_URL = loopbackBaseUrl('BASE_URL', 'http://127.0.0.1:3001');
const VARIANT = stringEnv('VARIANT', 'cache-on');
const USERS = numberEnv('USERS', 1000, { min: 1, integer: true });
const ZIPF_S = numberEnv('ZIPF_S', 1.1, { min: 0 });
const RATE = numberEnv('RATE', 200, { min: 1, integer: true });
const DURATION = durationEnv('DURATION', '5s');
const MAX_FAILED_RATE = numberEnv('MAX_FAILED_RATE', 0.01, { min: 0, max: 1 });
const MAX_VUS = numberEnv('MAX_VUS', 100, { min: 1, integer: true });

if (!['cache-on', 'cache-off'].includes(VARIANT)) throw new Error(`VARIANT=${VARIANT}: expected cache-on or cache-off`);
const ROUTE = 'GET /users/:id';
const ORIGIN = 'cachelab_origin_queries_total';

const queries = new Counter('lab_origin_queries');
const measured = new Counter('lab_measured');

export const options = arrivalRateOptions({
  scenario: `reads_${VARIANT.replace('-', '_')}`,
  rate: RATE,
  duration: DURATION,
  maxVUs: MAX_VUS,
  minVUs: 5,
  ratePerVU: 20,
  maxFailedRate: MAX_FAILED_RATE,
  thresholds: { [`http_req_duration{route:${ROUTE}}`]: [], lab_origin_queries: [], lab_measured: [], ...cacheMetricsByRoute([ROUTE]) },
});

const nextUserId = zipfSampler(USERS, ZIPF_S);

export function setup() {
  requireReady(BASE_URL, 'user-service');
  for (const id of [1, USERS]) {
    const res = http.get(`${BASE_URL}/users/${id}`, { tags: { route: 'setup', name: 'setup' }, responseCallback: http.expectedStatuses(200, 404) });
    if (res.status !== 200) exec.test.abort(`GET /users/${id} answered ${res.status}: seed users 1..${USERS} first (npm run demo does), or set USERS`);
  }
  return { before: serviceMetric(BASE_URL, ORIGIN) };
}

export default function () {
  const id = nextUserId();
  const res = http.get(`${BASE_URL}/users/${id}`, { tags: { route: ROUTE, name: ROUTE } });
  check(res, { 'profile: 200': (r) => r.status === 200 });
  const result = recordCacheResult(res, ROUTE);
  if (result !== undefined) check(res, { [`x-cache says the cache is ${VARIANT === 'cache-on' ? 'on' : 'off'}`]: () => (result === 'bypass') === (VARIANT === 'cache-off') });
}

export function teardown({ before }) {
  queries.add(serviceMetric(BASE_URL, ORIGIN) - before);
  measured.add(1);
}

export function handleSummary(data) {
  // One read per iteration.
  const reads = data.metrics.iterations?.values.count ?? 0;
  const originQueries = count(data, 'lab_measured') > 0 ? count(data, 'lab_origin_queries') : null;
  const p95 = data.metrics[`http_req_duration{route:${ROUTE}}`]?.values['p(95)'] ?? null;
  return labSummary(
    data,
    { scenario: `lab-reads-${VARIANT}`, target: BASE_URL, config: { VARIANT, USERS, ZIPF_S, RATE, DURATION, MAX_FAILED_RATE, MAX_VUS }, routes: [ROUTE] },
    {
      comparison: 'cache',
      variant: VARIANT,
      wrongOnPurpose: false,
      figures: { reads, p95Ms: p95, originQueries, originQueriesPerRead: originQueries === null || reads === 0 ? null : originQueries / reads },
    },
  );
}
