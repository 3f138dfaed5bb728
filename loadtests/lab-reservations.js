// Lab: the same reservation three ways, on a lab SKU (the `lab:{SKU}:*` keys, never the real
// stock): VUS clients reserve one unit at a time, as fast as the service answers, for DURATION.
// Setup gives the SKU STOCK units; teardown reads what is left. Every 200 is a unit sold, so
//   units oversold = units sold - (STOCK - units left)
// counts the sales the stock never lost (0 for a correct strategy; once the stock runs out, those
// are units sold that did not exist), and the reservations answered per second are its throughput.
//   STRATEGY=naive  GET, check, SET            WRONG ON PURPOSE: concurrent requests read the same count
//   STRATEGY=watch  WATCH/MULTI/EXEC, retried  correct, pays contention with retries
//   STRATEGY=lua    reserve-3.lua              correct, one atomic round trip
//   $(bash scripts/ensure-k6.sh) run -e STRATEGY=naive loadtests/lab-reservations.js
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { durationEnv, loopbackBaseUrl, numberEnv, stringEnv } from './lib/env.js';
import { count, labSummary, requireReady, setupTags } from './lib/lab.js';
import { closedLoopOptions } from './lib/options.js';

const BASE_URL = loopbackBaseUrl('BASE_URL', 'http://127.0.0.1:3003');
const STRATEGY = stringEnv('STRATEGY', 'lua');
// Enough for every strategy to keep selling for the whole run, so that the throughputs compare
// the same work (a sold-out SKU answers 409 faster than it reserves).
const STOCK = numberEnv('STOCK', 50_000, { min: 1, max: 1_000_000_000, integer: true });
const VUS = numberEnv('VUS', 20, { min: 1, max: 1000, integer: true });
const DURATION = durationEnv('DURATION', '5s');
const MAX_FAILED_RATE = numberEnv('MAX_FAILED_RATE', 0.01, { min: 0, max: 1 });

const STRATEGIES = { naive: { wrongOnPurpose: true, sku: 'SKU-990001' }, watch: { wrongOnPurpose: false, sku: 'SKU-990002' }, lua: { wrongOnPurpose: false, sku: 'SKU-990003' } };
const strategy = STRATEGIES[STRATEGY];
if (!strategy) throw new Error(`STRATEGY=${STRATEGY}: expected ${Object.keys(STRATEGIES).join(', ')}`);
// One lab SKU per strategy, so that two runs never share a count.
const SKU = stringEnv('SKU', strategy.sku);
const ROUTE = 'POST /lab/reserve/:sku';

const sold = new Counter('lab_units_sold');
const refused = new Counter('lab_refused');
const gaveUp = new Counter('lab_gave_up');
const left = new Counter('lab_units_left');
// 1 once teardown has read what is left (a count of 0 units left is a real answer).
const leftRead = new Counter('lab_units_left_read');

export const options = closedLoopOptions({
  scenario: `reserve_${STRATEGY}`,
  vus: VUS,
  duration: DURATION,
  maxFailedRate: MAX_FAILED_RATE,
  thresholds: { [`http_req_duration{route:${ROUTE}}`]: [], lab_units_sold: [], lab_refused: [], lab_gave_up: [], lab_units_left: [], lab_units_left_read: [] },
});

const json = { headers: { 'content-type': 'application/json' } };
// 409 (sold out) is a right answer, not a failed request.
const reserveParams = { ...json, tags: { route: ROUTE, name: ROUTE }, responseCallback: http.expectedStatuses(200, 409) };

export function setup() {
  requireReady(BASE_URL, 'inventory-service');
  const res = http.put(`${BASE_URL}/lab/stock/${SKU}`, JSON.stringify({ available: STOCK }), { ...json, ...setupTags });
  if (res.status !== 200) exec.test.abort(`PUT /lab/stock/${SKU} answered ${res.status}: ${res.body}`);
}

export default function () {
  const res = http.post(`${BASE_URL}/lab/reserve/${SKU}?strategy=${STRATEGY}`, JSON.stringify({ qty: 1 }), reserveParams);
  if (res.status === 200) sold.add(1);
  else if (res.status === 409) refused.add(1);
  else if (res.status === 503 && res.json('error.code') === 'contention_gave_up') gaveUp.add(1);
  check(res, { 'reserve: 200 or 409': (r) => r.status === 200 || r.status === 409 });
}

export function teardown() {
  const res = http.get(`${BASE_URL}/lab/stock/${SKU}`, setupTags);
  if (res.status !== 200) exec.test.fail(`GET /lab/stock/${SKU} answered ${res.status}`);
  else {
    left.add(res.json('available'));
    leftRead.add(1);
  }
}

export function handleSummary(data) {
  const unitsSold = count(data, 'lab_units_sold');
  const unitsLeft = count(data, 'lab_units_left_read') > 0 ? count(data, 'lab_units_left') : null;
  const seconds = data.state.testRunDurationMs / 1000;
  return labSummary(
    data,
    { scenario: `lab-reservations-${STRATEGY}`, target: BASE_URL, config: { STRATEGY, SKU, STOCK, VUS, DURATION, MAX_FAILED_RATE }, routes: [ROUTE] },
    {
      comparison: 'reservations',
      variant: STRATEGY,
      wrongOnPurpose: strategy.wrongOnPurpose,
      figures: {
        stock: STOCK,
        unitsSold,
        unitsLeft,
        unitsOversold: unitsLeft === null ? null : unitsSold - (STOCK - unitsLeft),
        refused: count(data, 'lab_refused'),
        gaveUp: count(data, 'lab_gave_up'),
        reservationsPerSecond: (data.metrics.iterations?.values.count ?? 0) / Math.max(seconds, 0.001),
      },
    },
  );
}
