// Lab: a stampede on one cold key, with and without protection. Setup creates a user nobody has
// read yet (so that its key is cold in both caches), then BURST clients ask for it at the same
// moment (each VU connects first, then all are released at one instant), and teardown reads how many of those reads reached Postgres
// (cachelab_origin_queries_total{operation="user.find"} before and after).
//   VARIANT=unprotected  GET /lab/users/:id/unprotected  WRONG ON PURPOSE: every miss queries
//   VARIANT=protected    GET /users/:id                  single flight and a Redis lock: one query
//   $(bash scripts/ensure-k6.sh) run -e VARIANT=unprotected loadtests/lab-stampede.js
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { cacheMetricsByRoute, recordCacheResult } from './lib/cache-metrics.js';
import { loopbackBaseUrl, numberEnv, stringEnv } from './lib/env.js';
import { count, labSummary, requireReady, serviceMetric, setupTags } from './lib/lab.js';
import { burstOptions } from './lib/options.js';

const BASE_URL = loopbackBaseUrl('BASE_URL', 'http://127.0.0.1:3001');
const VARIANT = stringEnv('VARIANT', 'protected');
const BURST = numberEnv('BURST', 100, { min: 2, max: 2000, integer: true });
const MAX_FAILED_RATE = numberEnv('MAX_FAILED_RATE', 0.01, { min: 0, max: 1 });
// Time for every VU to open its connection before the burst is released.
const RELEASE_AFTER_MS = numberEnv('RELEASE_AFTER_MS', 1000, { min: 0, max: 60_000, integer: true });

const VARIANTS = {
  unprotected: { route: 'GET /lab/users/:id/unprotected', path: (id) => `/lab/users/${id}/unprotected`, wrongOnPurpose: true },
  protected: { route: 'GET /users/:id', path: (id) => `/users/${id}`, wrongOnPurpose: false },
};
const variant = VARIANTS[VARIANT];
if (!variant) throw new Error(`VARIANT=${VARIANT}: expected ${Object.keys(VARIANTS).join(' or ')}`);

const FIND = { operation: 'user.find' };
const originQueries = new Counter('lab_origin_queries');

export const options = burstOptions({
  scenario: 'stampede_burst',
  vus: BURST,
  maxFailedRate: MAX_FAILED_RATE,
  thresholds: { lab_origin_queries: [], [`http_req_duration{route:${variant.route}}`]: [], ...cacheMetricsByRoute([variant.route]) },
});

export function setup() {
  requireReady(BASE_URL, 'user-service');
  const email = `lab-stampede-${Date.now()}-${Math.floor(Math.random() * 1e9)}@lab.cachelab.test`;
  const res = http.post(`${BASE_URL}/users`, JSON.stringify({ email, name: 'Lab Stampede' }), {
    ...setupTags,
    headers: { 'content-type': 'application/json' },
  });
  if (res.status !== 201) exec.test.abort(`POST /users answered ${res.status}: ${res.body}`);
  // Every VU opens its connection first and then waits for this moment, so that the reads reach
  // the service together rather than spread over the connection setups.
  return { id: res.json('id'), before: serviceMetric(BASE_URL, 'cachelab_origin_queries_total', FIND), startAt: Date.now() + RELEASE_AFTER_MS };
}

export default function ({ id, startAt }) {
  http.get(`${BASE_URL}/healthz`, setupTags);
  const wait = startAt - Date.now();
  if (wait > 0) sleep(wait / 1000);
  const res = http.get(`${BASE_URL}${variant.path(id)}`, { tags: { route: variant.route, name: variant.route } });
  check(res, { 'the cold user: 200': (r) => r.status === 200 && String(r.json('id')) === String(id) });
  recordCacheResult(res, variant.route);
}

export function teardown({ id, before }) {
  originQueries.add(serviceMetric(BASE_URL, 'cachelab_origin_queries_total', FIND) - before);
  http.del(`${BASE_URL}/users/${id}`, null, setupTags);
}

export function handleSummary(data) {
  return labSummary(
    data,
    { scenario: `lab-stampede-${VARIANT}`, target: BASE_URL, config: { VARIANT, BURST, MAX_FAILED_RATE, RELEASE_AFTER_MS }, routes: [variant.route] },
    {
      comparison: 'stampede',
      variant: VARIANT,
      wrongOnPurpose: variant.wrongOnPurpose,
      figures: { burst: BURST, originQueries: count(data, 'lab_origin_queries') },
    },
  );
}
