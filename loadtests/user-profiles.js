// user-service under a skewed read-mostly load: Zipf-distributed profile reads of seeded users, a
// share of summary reads (an expensive cached aggregate), reads of ids that do not exist (negative
// caching) and 5% profile updates (cache invalidation). See loadtests/README.md for the knobs.
//   $(bash scripts/ensure-k6.sh) run loadtests/user-profiles.js
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { cacheMetricsByRoute, recordCacheResult } from './lib/cache-metrics.js';
import { durationEnv, loopbackBaseUrl, numberEnv } from './lib/env.js';
import { reportSummary } from './lib/report.js';
import { zipfSampler } from './lib/zipf.js';
import { arrivalRateOptions } from './lib/options.js';

const BASE_URL = loopbackBaseUrl('BASE_URL', 'http://127.0.0.1:3001');
const USERS = numberEnv('USERS', 1000, { min: 1, integer: true });
const ZIPF_S = numberEnv('ZIPF_S', 1.1, { min: 0 });
const RATE = numberEnv('RATE', 200, { min: 1, integer: true });
const DURATION = durationEnv('DURATION', '30s');
const WRITE_SHARE = numberEnv('WRITE_SHARE', 0.05, { min: 0, max: 1 });
const SUMMARY_SHARE = numberEnv('SUMMARY_SHARE', 0.05, { min: 0, max: 1 });
const MISSING_SHARE = numberEnv('MISSING_SHARE', 0.03, { min: 0, max: 1 });
const P95_MS = numberEnv('P95_MS', 50, { min: 0 });
const MAX_FAILED_RATE = numberEnv('MAX_FAILED_RATE', 0.01, { min: 0, max: 1 });
const MAX_VUS = numberEnv('MAX_VUS', 200, { min: 1, integer: true });
if (WRITE_SHARE + SUMMARY_SHARE + MISSING_SHARE > 1) throw new Error('WRITE_SHARE + SUMMARY_SHARE + MISSING_SHARE must not exceed 1');

// Ids far above any seeded user, drawn from a small pool so that each is asked for repeatedly
// and a negative cache has something to hit. They stay within a Postgres integer.
const MISSING_ID_BASE = 2_000_000_000;
const MISSING_IDS = 100;

const ROUTE = {
  profile: 'GET /users/:id',
  summary: 'GET /users/:id/summary',
  update: 'PATCH /users/:id',
};

export const options = arrivalRateOptions({
  scenario: 'user_profiles',
  rate: RATE,
  duration: DURATION,
  maxVUs: MAX_VUS,
  minVUs: 5,
  ratePerVU: 20,
  maxFailedRate: MAX_FAILED_RATE,
  thresholds: {
    [`http_req_duration{route:${ROUTE.profile}}`]: [`p(95)<${P95_MS}`],
    // No limit: listed so that the summary keeps a latency breakdown per route.
    [`http_req_duration{route:${ROUTE.summary}}`]: [],
    [`http_req_duration{route:${ROUTE.update}}`]: [],
    ...cacheMetricsByRoute([ROUTE.profile, ROUTE.summary]),
  },
});

const nextUserId = zipfSampler(USERS, ZIPF_S);
const json = { headers: { 'content-type': 'application/json' } };
const tagged = (route, extra = {}) => ({ ...extra, tags: { route, name: route } });
// 404 is the right answer for an id that does not exist, and must not count as a failed request.
const expect404 = http.expectedStatuses(404);

export function setup() {
  for (const id of [1, USERS]) {
    const res = http.get(`${BASE_URL}/users/${id}`, { tags: { route: 'setup', name: 'setup' }, responseCallback: http.expectedStatuses(200, 404) });
    if (res.status === 0) exec.test.abort(`user-service is not reachable at ${BASE_URL}: ${res.error}`);
    if (res.status !== 200) exec.test.abort(`GET /users/${id} answered ${res.status}: seed users 1..${USERS} first (npm run demo does), or set USERS`);
  }
}

export default function () {
  const roll = Math.random();
  if (roll < WRITE_SHARE) return updateProfile(nextUserId());
  if (roll < WRITE_SHARE + MISSING_SHARE) return readMissingProfile();
  if (roll < WRITE_SHARE + MISSING_SHARE + SUMMARY_SHARE) return readSummary(nextUserId());
  return readProfile(nextUserId());
}

function readProfile(id) {
  const res = http.get(`${BASE_URL}/users/${id}`, tagged(ROUTE.profile));
  if (check(res, { 'profile: 200': (r) => r.status === 200 })) {
    check(res, { 'profile: the user asked for': (r) => String(r.json('id')) === String(id) });
  }
  recordCacheResult(res, ROUTE.profile);
}

function readMissingProfile() {
  const id = MISSING_ID_BASE + 1 + Math.floor(Math.random() * MISSING_IDS);
  const res = http.get(`${BASE_URL}/users/${id}`, tagged(ROUTE.profile, { responseCallback: expect404 }));
  check(res, { 'unknown user: 404': (r) => r.status === 404 });
  recordCacheResult(res, ROUTE.profile);
}

function readSummary(id) {
  const res = http.get(`${BASE_URL}/users/${id}/summary`, tagged(ROUTE.summary));
  check(res, { 'summary: 200': (r) => r.status === 200 });
  recordCacheResult(res, ROUTE.summary);
}

function updateProfile(id) {
  const name = `Load Test ${id}.${exec.vu.idInTest}.${exec.vu.iterationInScenario}`;
  const res = http.patch(`${BASE_URL}/users/${id}`, JSON.stringify({ name }), tagged(ROUTE.update, json));
  check(res, { 'update: 200': (r) => r.status === 200 });
}

export function handleSummary(data) {
  return reportSummary(data, {
    scenario: 'user-profiles',
    target: BASE_URL,
    config: { USERS, ZIPF_S, RATE, DURATION, WRITE_SHARE, SUMMARY_SHARE, MISSING_SHARE, P95_MS, MAX_FAILED_RATE, MAX_VUS },
    routes: Object.values(ROUTE),
  });
}
