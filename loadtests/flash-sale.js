// A flash sale on inventory-service: thousands of buyers hit a few hot SKUs at once, far more
// buyers than units. Every unit must go to exactly one buyer: the run fails if any SKU sells more
// units than it had (threshold per SKU), if a buyer is ever told a negative count, or if a buyer
// is turned away while units were left; the summary checks that units sold plus units left equal
// the stock the sale started with. See loadtests/README.md for the knobs.
//   $(bash scripts/ensure-k6.sh) run loadtests/flash-sale.js
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { durationEnv, loopbackBaseUrl, numberEnv, stringEnv } from './lib/env.js';
import { reportSummary } from './lib/report.js';
import { zipfSampler } from './lib/zipf.js';
import { arrivalRateOptions } from './lib/options.js';

const BASE_URL = loopbackBaseUrl('BASE_URL', 'http://127.0.0.1:3003');
const SKUS = stringEnv('SKUS', 'SKU-1,SKU-2,SKU-3').split(',').map((s) => s.trim());
const STOCK = numberEnv('STOCK', 300, { min: 1, max: 1_000_000, integer: true });
const RATE = numberEnv('RATE', 400, { min: 1, integer: true });
const DURATION = durationEnv('DURATION', '20s');
const ZIPF_S = numberEnv('ZIPF_S', 1, { min: 0 });
const ORDER_SHARE = numberEnv('ORDER_SHARE', 0.1, { min: 0, max: 1 });
const RETRY_SHARE = numberEnv('RETRY_SHARE', 0.05, { min: 0, max: 1 });
const P95_MS = numberEnv('P95_MS', 100, { min: 0 });
const MAX_FAILED_RATE = numberEnv('MAX_FAILED_RATE', 0.01, { min: 0, max: 1 });
const MAX_VUS = numberEnv('MAX_VUS', 300, { min: 1, integer: true });
for (const sku of SKUS) if (!/^SKU-[1-9][0-9]{0,9}$/.test(sku)) throw new Error(`SKUS: ${sku} is not a SKU such as SKU-42`);
if (SKUS.length < 2 && ORDER_SHARE > 0) throw new Error('orders of two SKUs need at least two SKUS (or ORDER_SHARE=0)');

const ROUTE = {
  reserve: 'POST /stock/:sku/reserve',
  order: 'POST /orders',
};

// Units sold per SKU (first-time successes only: a retried order that is told "replayed" sold
// nothing new). A per-SKU threshold caps each at STOCK: the run fails on any oversell.
const sold = new Counter('flash_units_sold');
// What the service says remains after each sale: never below 0.
const remaining = new Trend('flash_available_after');
const refused = new Counter('flash_refused');
const replays = new Counter('flash_replays');
const compensated = new Counter('flash_lines_compensated');
// Recorded once per SKU by teardown, so that the summary can check sold + left == STOCK.
const finalAvailable = new Trend('flash_final_available');

const perSku = (metric, rule) => Object.fromEntries(SKUS.map((sku) => [`${metric}{sku:${sku}}`, rule]));

export const options = arrivalRateOptions({
  scenario: 'flash_sale',
  rate: RATE,
  duration: DURATION,
  maxVUs: MAX_VUS,
  minVUs: 10,
  ratePerVU: 10,
  maxFailedRate: MAX_FAILED_RATE,
  thresholds: {
    [`http_req_duration{route:${ROUTE.reserve}}`]: [`p(95)<${P95_MS}`],
    [`http_req_duration{route:${ROUTE.order}}`]: [],
    ...perSku('flash_units_sold', [`count<=${STOCK}`]),
    ...perSku('flash_available_after', ['min>=0']),
    flash_refused: [],
    flash_replays: [],
    flash_lines_compensated: [],
    ...perSku('flash_final_available', []),
  },
});

const nextSku = zipfSampler(SKUS.length, ZIPF_S);
const json = { 'content-type': 'application/json' };
// 409 (sold out) is the expected answer for most buyers, not a failed request.
const expectedAnswers = http.expectedStatuses(200, 201, 409);
const tagged = (route, sku) => ({ headers: json, responseCallback: expectedAnswers, tags: { route, name: route, ...(sku ? { sku } : {}) } });
const setupTags = { tags: { route: 'setup', name: 'setup' } };
const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

function available(sku) {
  const res = http.get(`${BASE_URL}/stock/${sku}`, { ...setupTags, responseCallback: http.expectedStatuses(200, 404) });
  if (res.status === 0) exec.test.abort(`inventory-service is not reachable at ${BASE_URL}: ${res.error}`);
  if (res.status !== 200) exec.test.abort(`GET /stock/${sku} answered ${res.status}: seed the stock first (npm run seed -w services/inventory)`);
  return res.json('available');
}

/**
 * Every hot SKU starts the sale with exactly STOCK units: restocked up to it, or the excess held
 * by a reservation of this run (released in teardown). The thresholds can then be fixed numbers.
 */
export function setup() {
  const holds = {};
  for (const sku of SKUS) {
    const before = available(sku);
    if (before < STOCK) {
      const res = http.post(`${BASE_URL}/stock/${sku}/restock`, JSON.stringify({ qty: STOCK - before }), { headers: json, ...setupTags });
      if (res.status !== 200) exec.test.abort(`restock of ${sku} answered ${res.status} ${res.body}`);
    } else if (before > STOCK) {
      const orderId = `flash-hold-${runId}-${sku}`;
      const res = http.post(`${BASE_URL}/stock/${sku}/reserve`, JSON.stringify({ qty: before - STOCK, orderId }), { headers: json, ...setupTags });
      if (res.status !== 200) exec.test.abort(`holding the excess of ${sku} answered ${res.status} ${res.body}`);
      holds[sku] = orderId;
    }
    const now = available(sku);
    if (now !== STOCK) exec.test.abort(`${sku} has ${now} units, not ${STOCK}: is another sale running on it?`);
  }
  return { holds };
}

export default function () {
  const orderId = `flash-${runId}-${exec.vu.idInTest}-${exec.vu.iterationInScenario}`;
  if (Math.random() < ORDER_SHARE) return placeOrder(orderId);
  const sku = SKUS[nextSku() - 1];
  const body = JSON.stringify({ qty: 1, orderId });
  const res = http.post(`${BASE_URL}/stock/${sku}/reserve`, body, tagged(ROUTE.reserve, sku));
  check(res, { 'reserve: 200 or 409 (sold out)': (r) => r.status === 200 || r.status === 409 });
  if (res.status === 409) {
    check(res, { 'refused only when fewer units than asked are left': (r) => r.json('error.details.available') < 1 });
    return refused.add(1, { sku });
  }
  if (res.status !== 200) return;
  sold.add(1, { sku });
  remaining.add(res.json('available'), { sku });
  if (Math.random() < RETRY_SHARE) {
    // The buyer's client retries (a lost answer): the same order must not buy a second unit.
    const again = http.post(`${BASE_URL}/stock/${sku}/reserve`, body, tagged(ROUTE.reserve, sku));
    check(again, { 'retry: 200, replayed, nothing more taken': (r) => r.status === 200 && r.json('replayed') === true });
    replays.add(1, { sku });
  }
}

/** A basket of two different hot SKUs: both or neither (the service compensates). */
function placeOrder(orderId) {
  const first = nextSku() - 1;
  const second = (first + 1 + Math.floor(Math.random() * (SKUS.length - 1))) % SKUS.length;
  const lines = [first, second].map((i) => ({ sku: SKUS[i], qty: 1 }));
  const res = http.post(`${BASE_URL}/orders`, JSON.stringify({ orderId, lines }), tagged(ROUTE.order));
  check(res, { 'order: 201 or 409 (a line sold out)': (r) => r.status === 201 || r.status === 409 });
  if (res.status === 201) {
    for (const line of res.json('lines')) {
      sold.add(line.qty, { sku: line.sku });
      remaining.add(line.available, { sku: line.sku });
    }
  } else if (res.status === 409) {
    check(res, {
      'failed order: nothing left held': (r) => (r.json('error.details.stillHeld') || []).length === 0,
      'failed order: its line was really short': (r) => r.json('error.details.available') < r.json('error.details.requested'),
    });
    compensated.add((res.json('error.details.compensated') || []).length);
    refused.add(1, { sku: res.json('error.details.failedSku') });
  }
}

export function teardown({ holds }) {
  for (const sku of SKUS) {
    const left = available(sku);
    check(left, { 'after the sale: stock never negative': (n) => n >= 0 });
    finalAvailable.add(left, { sku });
    if (holds[sku]) http.post(`${BASE_URL}/stock/${sku}/release`, JSON.stringify({ orderId: holds[sku] }), { headers: json, ...setupTags });
  }
}

export function handleSummary(data) {
  const out = reportSummary(data, {
    scenario: 'flash-sale',
    target: BASE_URL,
    config: { SKUS: SKUS.join(','), STOCK, RATE, DURATION, ZIPF_S, ORDER_SHARE, RETRY_SHARE, P95_MS, MAX_FAILED_RATE, MAX_VUS },
    routes: Object.values(ROUTE),
  });
  const count = (name) => data.metrics[name]?.values.count ?? 0;
  const bySku = SKUS.map((sku) => ({
    sku,
    stock: STOCK,
    sold: count(`flash_units_sold{sku:${sku}}`),
    left: data.metrics[`flash_final_available{sku:${sku}}`]?.values.max ?? null,
    minAvailableSeen: data.metrics[`flash_available_after{sku:${sku}}`]?.values.min ?? null,
  }));
  // Units are conserved when every unit the sale started with was either sold to one buyer or is still there.
  for (const s of bySku) s.conserved = s.left !== null && s.sold + s.left === s.stock;
  const flash = { bySku, refused: count('flash_refused'), replays: count('flash_replays'), linesCompensated: count('flash_lines_compensated') };
  const [path] = Object.keys(out).filter((key) => key !== 'stdout');
  out[path] = `${JSON.stringify({ ...JSON.parse(out[path]), flashSale: flash }, null, 2)}\n`;
  const lines = bySku.map(
    (s) =>
      `  sold       ${s.sku}: ${s.sold} of ${s.stock}, ${s.left} left (${s.conserved ? 'sold + left = stock' : 'MISMATCH: sold + left != stock'})` +
      `${s.sold > s.stock ? ' OVERSOLD' : ''}, lowest count a buyer was told ${s.minAvailableSeen}`,
  );
  lines.push(`  buyers     refused ${flash.refused}, retries answered as replays ${flash.replays}, order lines compensated ${flash.linesCompensated}`);
  out.stdout = out.stdout.replace(/\n  report /, `\n${lines.join('\n')}\n  report `);
  return out;
}
