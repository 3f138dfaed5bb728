// A storm of view events on inventory-service: POST /products/:sku/views at a constant rate on
// Zipf-popular SKUs, written behind (counted in Redis, flushed to Postgres in batches by the
// BullMQ worker), with a few reads of GET /counters/:sku and GET /leaderboard/top-sellers. At the
// end it waits for the flush to drain and checks that Postgres received exactly the views the
// service acknowledged: nothing lost, nothing counted twice. See loadtests/README.md for the knobs.
//   $(bash scripts/ensure-k6.sh) run loadtests/counters.js
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Rate, Trend } from 'k6/metrics';
import { durationEnv, loopbackBaseUrl, numberEnv } from './lib/env.js';
import { reportSummary } from './lib/report.js';
import { zipfSampler } from './lib/zipf.js';
import { arrivalRateOptions } from './lib/options.js';

const BASE_URL = loopbackBaseUrl('BASE_URL', 'http://127.0.0.1:3003');
const SKUS = numberEnv('SKUS', 500, { min: 1, max: 100_000, integer: true });
const ZIPF_S = numberEnv('ZIPF_S', 1, { min: 0 });
const RATE = numberEnv('RATE', 500, { min: 1, integer: true });
const DURATION = durationEnv('DURATION', '30s');
const READ_SHARE = numberEnv('READ_SHARE', 0.02, { min: 0, max: 1 });
const LEADERBOARD_SHARE = numberEnv('LEADERBOARD_SHARE', 0.01, { min: 0, max: 1 });
const P95_MS = numberEnv('P95_MS', 50, { min: 0 });
const MAX_FAILED_RATE = numberEnv('MAX_FAILED_RATE', 0.01, { min: 0, max: 1 });
const MAX_VUS = numberEnv('MAX_VUS', 200, { min: 1, integer: true });
const DRAIN_TIMEOUT_S = numberEnv('DRAIN_TIMEOUT_S', 60, { min: 1, integer: true });
if (READ_SHARE + LEADERBOARD_SHARE > 1) throw new Error('READ_SHARE + LEADERBOARD_SHARE must not exceed 1');

const ROUTE = {
  view: 'POST /products/:sku/views',
  counters: 'GET /counters/:sku',
  leaderboard: 'GET /leaderboard/top-sellers',
};

// Views the service answered 202 to, as k6 saw them.
const acknowledged = new Counter('views_acknowledged');
// Written by teardown once the flush has drained: what reached Postgres during the run, and the
// views the service itself counted as acknowledged (its /metrics), which must be equal.
const persisted = new Counter('views_persisted');
const serviceAcknowledged = new Counter('views_service_acknowledged');
const exact = new Rate('views_persisted_exactly');
const drainSeconds = new Trend('views_drain_seconds');

export const options = arrivalRateOptions({
  scenario: 'view_storm',
  rate: RATE,
  duration: DURATION,
  maxVUs: MAX_VUS,
  minVUs: 10,
  ratePerVU: 20,
  maxFailedRate: MAX_FAILED_RATE,
  // Teardown polls every SKU until the flush has drained: give it the time it may need.
  extra: { teardownTimeout: `${DRAIN_TIMEOUT_S + 60}s` },
  thresholds: {
    [`http_req_duration{route:${ROUTE.view}}`]: [`p(95)<${P95_MS}`],
    [`http_req_duration{route:${ROUTE.counters}}`]: [],
    [`http_req_duration{route:${ROUTE.leaderboard}}`]: [],
    // The point of the scenario: every acknowledged view reached Postgres exactly once.
    views_persisted_exactly: ['rate==1'],
    views_acknowledged: [],
    views_persisted: [],
    views_service_acknowledged: [],
    views_drain_seconds: [],
  },
});

const nextSku = zipfSampler(SKUS, ZIPF_S);
const tagged = (route) => ({ tags: { route, name: route } });
const setupTags = { tags: { route: 'setup', name: 'setup' } };
const allSkus = Array.from({ length: SKUS }, (_, i) => `SKU-${i + 1}`);

/** persisted and pending views of every SKU of the run, with one batch of parallel requests. */
function readCounters() {
  const replies = http.batch(allSkus.map((sku) => ['GET', `${BASE_URL}/counters/${sku}`, null, setupTags]));
  return replies.map((res, i) => {
    if (res.status !== 200) exec.test.abort(`GET /counters/${allSkus[i]} answered ${res.status}: seed SKU-1..SKU-${SKUS} first (npm run seed -w services/inventory), or set SKUS`);
    const views = res.json('views');
    if (views.pending === null) exec.test.abort(`GET /counters/${allSkus[i]}: pending is unknown (the write-behind Redis is unavailable)`);
    return views;
  });
}

/** cachelab_write_behind_recorded_total{counter="views",store="redis"} of the service. */
function recordedViews() {
  const res = http.get(`${BASE_URL}/metrics`, setupTags);
  if (res.status !== 200) exec.test.abort(`GET /metrics answered ${res.status}`);
  let sum = 0;
  for (const line of res.body.split('\n')) {
    if (line.startsWith('cachelab_write_behind_recorded_total{') && line.includes('counter="views"') && line.includes('store="redis"')) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

export function setup() {
  const ready = http.get(`${BASE_URL}/readyz`, setupTags);
  if (ready.status === 0) exec.test.abort(`inventory-service is not reachable at ${BASE_URL}: ${ready.error}`);
  const views = readCounters();
  return {
    // Views counted before the run, persisted or about to be: the baseline the run adds to.
    before: views.reduce((sum, v) => sum + v.persisted + v.pending, 0),
    recordedBefore: recordedViews(),
  };
}

export default function () {
  const roll = Math.random();
  const sku = `SKU-${nextSku()}`;
  if (roll < LEADERBOARD_SHARE) {
    const res = http.get(`${BASE_URL}/leaderboard/top-sellers?limit=10`, tagged(ROUTE.leaderboard));
    check(res, { 'leaderboard: 200': (r) => r.status === 200 });
    return;
  }
  if (roll < LEADERBOARD_SHARE + READ_SHARE) {
    const res = http.get(`${BASE_URL}/counters/${sku}`, tagged(ROUTE.counters));
    check(res, { 'counters: 200 with both parts': (r) => r.status === 200 && r.json('views.pending') !== null });
    return;
  }
  const res = http.post(`${BASE_URL}/products/${sku}/views`, null, tagged(ROUTE.view));
  if (check(res, { 'view: 202': (r) => r.status === 202 })) acknowledged.add(1);
}

/** Waits until nothing is pending on any SKU, then records what reached Postgres. */
export function teardown({ before, recordedBefore }) {
  const started = Date.now();
  let views = readCounters();
  while (views.some((v) => v.pending > 0)) {
    if (Date.now() - started > DRAIN_TIMEOUT_S * 1000) {
      exact.add(false);
      exec.test.fail(`the flush did not drain within ${DRAIN_TIMEOUT_S} s (is a worker running? WORKER_ENABLED)`);
      return;
    }
    sleep(0.25);
    views = readCounters();
  }
  drainSeconds.add((Date.now() - started) / 1000);
  const added = views.reduce((sum, v) => sum + v.persisted, 0) - before;
  const service = recordedViews() - recordedBefore;
  persisted.add(added);
  serviceAcknowledged.add(service);
  exact.add(added === service);
}

export function handleSummary(data) {
  const out = reportSummary(data, {
    scenario: 'counters',
    target: BASE_URL,
    config: { SKUS, ZIPF_S, RATE, DURATION, READ_SHARE, LEADERBOARD_SHARE, P95_MS, MAX_FAILED_RATE, MAX_VUS, DRAIN_TIMEOUT_S },
    routes: Object.values(ROUTE),
  });
  const count = (name) => data.metrics[name]?.values.count ?? 0;
  const counters = {
    acknowledgedSeenByK6: count('views_acknowledged'),
    acknowledgedByService: count('views_service_acknowledged'),
    persisted: count('views_persisted'),
    drainSeconds: data.metrics.views_drain_seconds?.values.max ?? null,
  };
  counters.exact = counters.persisted === counters.acknowledgedByService;
  const [path] = Object.keys(out).filter((key) => key !== 'stdout');
  out[path] = `${JSON.stringify({ ...JSON.parse(out[path]), counters }, null, 2)}\n`;
  const line =
    `  views      acknowledged ${counters.acknowledgedByService} (k6 saw ${counters.acknowledgedSeenByK6} answers), persisted ${counters.persisted} ` +
    `(${counters.exact ? 'exactly the acknowledged views' : 'MISMATCH'}), flush drained ${counters.drainSeconds ?? '-'} s after the storm`;
  out.stdout = out.stdout.replace(/\n  report /, `\n${line}\n  report `);
  return out;
}
