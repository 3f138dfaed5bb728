// Lab: view counters written through vs written behind, and what each costs the database. RATE
// views per second for DURATION on SKU-1..SKU-<SKUS>; teardown waits until the flush has
// persisted every view counted in Redis, then divides the database statements the service sent
// during the run (cachelab_origin_queries_total, every operation) by the views acknowledged.
//   VARIANT=write-behind   a service with WRITE_BEHIND_ENABLED=true (the default): counted in
//                          Redis, flushed in batches (one statement per batch, whatever its size)
//   VARIANT=write-through  a service with WRITE_BEHIND_ENABLED=false: one statement per view
// The variant is the service's configuration; the scenario checks that the service really
// counted where the variant says (cachelab_write_behind_recorded_total{store}).
//   $(bash scripts/ensure-k6.sh) run -e VARIANT=write-behind loadtests/lab-views.js
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { durationEnv, loopbackBaseUrl, numberEnv, stringEnv } from './lib/env.js';
import { count, labSummary, requireReady, serviceMetric } from './lib/lab.js';
import { arrivalRateOptions } from './lib/options.js';
import { zipfSampler } from './lib/zipf.js';

const BASE_URL = loopbackBaseUrl('BASE_URL', 'http://127.0.0.1:3003');
const VARIANT = stringEnv('VARIANT', 'write-behind');
const SKUS = numberEnv('SKUS', 100, { min: 1, max: 100_000, integer: true });
const RATE = numberEnv('RATE', 200, { min: 1, integer: true });
const DURATION = durationEnv('DURATION', '5s');
const MAX_FAILED_RATE = numberEnv('MAX_FAILED_RATE', 0.01, { min: 0, max: 1 });
const MAX_VUS = numberEnv('MAX_VUS', 100, { min: 1, integer: true });
const DRAIN_TIMEOUT_S = numberEnv('DRAIN_TIMEOUT_S', 60, { min: 1, integer: true });

const STORE = { 'write-behind': 'redis', 'write-through': 'database' };
if (!STORE[VARIANT]) throw new Error(`VARIANT=${VARIANT}: expected ${Object.keys(STORE).join(' or ')}`);
const ROUTE = 'POST /products/:sku/views';
const ORIGIN = 'cachelab_origin_queries_total';
const RECORDED = 'cachelab_write_behind_recorded_total';
const PERSISTED = 'cachelab_write_behind_persisted_total';

const acknowledged = new Counter('lab_views_acknowledged');
const statements = new Counter('lab_statements');
const measured = new Counter('lab_measured');

export const options = arrivalRateOptions({
  scenario: `views_${VARIANT.replace('-', '_')}`,
  rate: RATE,
  duration: DURATION,
  maxVUs: MAX_VUS,
  minVUs: 10,
  ratePerVU: 20,
  maxFailedRate: MAX_FAILED_RATE,
  extra: { teardownTimeout: `${DRAIN_TIMEOUT_S + 30}s` },
  thresholds: { [`http_req_duration{route:${ROUTE}}`]: [], lab_views_acknowledged: [], lab_statements: [], lab_measured: [] },
});

const nextSku = zipfSampler(SKUS, 1);
const views = (store) => serviceMetric(BASE_URL, RECORDED, { counter: 'views', store });

export function setup() {
  requireReady(BASE_URL, 'inventory-service');
  return {
    origin: serviceMetric(BASE_URL, ORIGIN),
    redis: views('redis'),
    database: views('database'),
    persisted: serviceMetric(BASE_URL, PERSISTED, { counter: 'views' }),
  };
}

export default function () {
  const res = http.post(`${BASE_URL}/products/SKU-${nextSku()}/views`, null, { tags: { route: ROUTE, name: ROUTE } });
  if (check(res, { 'view: 202': (r) => r.status === 202 })) acknowledged.add(1);
}

export function teardown(before) {
  const inRedis = views('redis') - before.redis;
  const inDatabase = views('database') - before.database;
  const expected = STORE[VARIANT];
  if ((expected === 'redis' ? inRedis : inDatabase) === 0 || (expected === 'redis' ? inDatabase : inRedis) > 0) {
    exec.test.fail(`the service at ${BASE_URL} did not count views in ${expected} (redis ${inRedis}, database ${inDatabase}): start it with WRITE_BEHIND_ENABLED=${VARIANT === 'write-behind'}`);
    return;
  }
  // Written behind, the statements are paid by the flush: wait until it has persisted the run's views.
  const started = Date.now();
  while (serviceMetric(BASE_URL, PERSISTED, { counter: 'views' }) - before.persisted < inRedis) {
    if (Date.now() - started > DRAIN_TIMEOUT_S * 1000) {
      exec.test.fail(`the flush did not persist ${inRedis} views within ${DRAIN_TIMEOUT_S} s (is a worker running? WORKER_ENABLED)`);
      return;
    }
    sleep(0.2);
  }
  statements.add(serviceMetric(BASE_URL, ORIGIN) - before.origin);
  measured.add(1);
}

export function handleSummary(data) {
  const viewCount = count(data, 'lab_views_acknowledged');
  const done = count(data, 'lab_measured') > 0;
  const statementCount = done ? count(data, 'lab_statements') : null;
  return labSummary(
    data,
    { scenario: `lab-views-${VARIANT}`, target: BASE_URL, config: { VARIANT, SKUS, RATE, DURATION, MAX_FAILED_RATE, MAX_VUS, DRAIN_TIMEOUT_S }, routes: [ROUTE] },
    {
      comparison: 'counters',
      variant: VARIANT,
      wrongOnPurpose: false,
      figures: {
        views: viewCount,
        statements: statementCount,
        statementsPerView: statementCount === null || viewCount === 0 ? null : statementCount / viewCount,
      },
    },
  );
}
