// catalog-service under a browsing load with a write stream: product pages (Bloom filter, near
// cache, read-through), lookups by SKU, category pages (versioned keys) and searches (hashed keys)
// with Zipf popularity, plus price updates written through, and products created then deleted.
// See loadtests/README.md for the knobs.
//   $(bash scripts/ensure-k6.sh) run loadtests/catalog.js
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { cacheMetricsByRoute, recordCacheResult } from './lib/cache-metrics.js';
import { durationEnv, loopbackBaseUrl, numberEnv } from './lib/env.js';
import { reportSummary } from './lib/report.js';
import { zipfSampler } from './lib/zipf.js';
import { arrivalRateOptions } from './lib/options.js';

const BASE_URL = loopbackBaseUrl('BASE_URL', 'http://127.0.0.1:3002');
const PRODUCTS = numberEnv('PRODUCTS', 5000, { min: 1, integer: true });
const CATEGORIES = numberEnv('CATEGORIES', 40, { min: 1, integer: true });
const ZIPF_S = numberEnv('ZIPF_S', 1.1, { min: 0 });
const RATE = numberEnv('RATE', 200, { min: 1, integer: true });
const DURATION = durationEnv('DURATION', '30s');
const PAGE_SHARE = numberEnv('PAGE_SHARE', 0.2, { min: 0, max: 1 });
const SEARCH_SHARE = numberEnv('SEARCH_SHARE', 0.1, { min: 0, max: 1 });
const SKU_SHARE = numberEnv('SKU_SHARE', 0.05, { min: 0, max: 1 });
const MISSING_SHARE = numberEnv('MISSING_SHARE', 0.02, { min: 0, max: 1 });
const WRITE_SHARE = numberEnv('WRITE_SHARE', 0.03, { min: 0, max: 1 });
const CREATE_SHARE = numberEnv('CREATE_SHARE', 0.01, { min: 0, max: 1 });
const P95_MS = numberEnv('P95_MS', 50, { min: 0 });
const PRODUCT_HIT_RATIO = numberEnv('PRODUCT_HIT_RATIO', 0.8, { min: 0, max: 1 });
const MAX_FAILED_RATE = numberEnv('MAX_FAILED_RATE', 0.01, { min: 0, max: 1 });
const MAX_VUS = numberEnv('MAX_VUS', 200, { min: 1, integer: true });
const SHARES = PAGE_SHARE + SEARCH_SHARE + SKU_SHARE + MISSING_SHARE + WRITE_SHARE + CREATE_SHARE;
if (SHARES > 1) throw new Error('PAGE_SHARE + SEARCH_SHARE + SKU_SHARE + MISSING_SHARE + WRITE_SHARE + CREATE_SHARE must not exceed 1');

// Ids far above any product, never created: the Bloom filter answers them without a lookup.
const MISSING_ID_BASE = 2_000_000_000;
// Words of the seed's names and descriptions (services/catalog/scripts/seed.ts), most popular
// first: searches of one or two of them, Zipf-distributed, so that popular searches repeat.
const WORDS = [
  'lamp', 'chair', 'red', 'wireless', 'leather', 'mug', 'desk', 'blue', 'backpack', 'speaker',
  'bamboo', 'vintage', 'jacket', 'wool', 'kettle', 'oak', 'green', 'headphones', 'portable', 'tent',
  'towel', 'ceramic', 'smart', 'umbrella', 'notebook', 'steel', 'clock', 'organic', 'pillow', 'wallet',
];

const ROUTE = {
  product: 'GET /products/:id',
  bySku: 'GET /products/by-sku/:sku',
  page: 'GET /categories/:id/products',
  search: 'GET /search',
  update: 'PATCH /products/:id',
  create: 'POST /products',
  remove: 'DELETE /products/:id',
};

export const options = arrivalRateOptions({
  scenario: 'catalog',
  rate: RATE,
  duration: DURATION,
  maxVUs: MAX_VUS,
  minVUs: 5,
  ratePerVU: 20,
  maxFailedRate: MAX_FAILED_RATE,
  thresholds: {
    [`http_req_duration{route:${ROUTE.product}}`]: [`p(95)<${P95_MS}`],
    [`http_req_duration{route:${ROUTE.page}}`]: [`p(95)<${P95_MS}`],
    [`cache_hit_ratio{route:${ROUTE.product}}`]: [`rate>${PRODUCT_HIT_RATIO}`],
    // No limit: listed so that the summary keeps a latency breakdown per route.
    [`http_req_duration{route:${ROUTE.bySku}}`]: [],
    [`http_req_duration{route:${ROUTE.search}}`]: [],
    [`http_req_duration{route:${ROUTE.update}}`]: [],
    [`http_req_duration{route:${ROUTE.create}}`]: [],
    [`http_req_duration{route:${ROUTE.remove}}`]: [],
    ...cacheMetricsByRoute([ROUTE.product, ROUTE.bySku, ROUTE.page, ROUTE.search]),
  },
});

const nextProductId = zipfSampler(PRODUCTS, ZIPF_S);
const nextCategoryId = zipfSampler(CATEGORIES, ZIPF_S);
const nextWord = zipfSampler(WORDS.length, ZIPF_S);
const json = { headers: { 'content-type': 'application/json' } };
const tagged = (route, extra = {}) => ({ ...extra, tags: { route, name: route } });
// 404 is the right answer for an id that does not exist, and must not count as a failed request.
const expect404 = http.expectedStatuses(404);

export function setup() {
  const probes = [`/products/1`, `/products/${PRODUCTS}`, `/categories/1/products`, `/categories/${CATEGORIES}/products`];
  for (const path of probes) {
    const res = http.get(`${BASE_URL}${path}`, { tags: { route: 'setup', name: 'setup' }, responseCallback: http.expectedStatuses(200, 404) });
    if (res.status === 0) exec.test.abort(`catalog-service is not reachable at ${BASE_URL}: ${res.error}`);
    if (res.status !== 200) exec.test.abort(`GET ${path} answered ${res.status}: seed the catalog first (npm run demo does), or set PRODUCTS and CATEGORIES`);
  }
}

export default function () {
  let roll = Math.random();
  const pick = (share) => (roll -= share) < 0;
  if (pick(WRITE_SHARE)) return updatePrice(nextProductId());
  if (pick(CREATE_SHARE)) return createThenDelete();
  if (pick(MISSING_SHARE)) return readMissingProduct();
  if (pick(PAGE_SHARE)) return readPage();
  if (pick(SEARCH_SHARE)) return search();
  if (pick(SKU_SHARE)) return readBySku(nextProductId());
  return readProduct(nextProductId());
}

function readProduct(id) {
  const res = http.get(`${BASE_URL}/products/${id}`, tagged(ROUTE.product));
  if (check(res, { 'product: 200': (r) => r.status === 200 })) {
    check(res, { 'product: the one asked for': (r) => r.json('id') === id });
  }
  recordCacheResult(res, ROUTE.product);
}

function readMissingProduct() {
  const id = MISSING_ID_BASE + Math.floor(Math.random() * 1_000_000);
  const res = http.get(`${BASE_URL}/products/${id}`, tagged(ROUTE.product, { responseCallback: expect404 }));
  check(res, { 'unknown product: 404': (r) => r.status === 404 });
  recordCacheResult(res, ROUTE.product);
}

function readBySku(id) {
  const res = http.get(`${BASE_URL}/products/by-sku/SKU-${id}`, tagged(ROUTE.bySku));
  if (check(res, { 'by SKU: 200': (r) => r.status === 200 })) {
    check(res, { 'by SKU: the one asked for': (r) => r.json('sku') === `SKU-${id}` });
  }
  recordCacheResult(res, ROUTE.bySku);
}

function readPage() {
  // Mostly the first page, as people browse; deeper pages less and less often.
  const page = 1 + Math.floor(-Math.log(1 - Math.random()) / 1.2);
  const res = http.get(`${BASE_URL}/categories/${nextCategoryId()}/products?page=${Math.min(page, 20)}`, tagged(ROUTE.page));
  check(res, { 'category page: 200': (r) => r.status === 200 });
  recordCacheResult(res, ROUTE.page);
}

function search() {
  const words = Math.random() < 0.5 ? [WORDS[nextWord() - 1]] : [WORDS[nextWord() - 1], WORDS[nextWord() - 1]];
  // Users type the same query differently: the normalised hash makes these one cache entry.
  const typed = Math.random() < 0.3 ? words.map((w) => w.toUpperCase()).reverse().join('  ') : words.join(' ');
  const res = http.get(`${BASE_URL}/search?q=${encodeURIComponent(typed)}`, tagged(ROUTE.search));
  check(res, { 'search: 200': (r) => r.status === 200 });
  recordCacheResult(res, ROUTE.search);
}

function updatePrice(id) {
  const priceCents = 100 + Math.floor(Math.random() * 50_000);
  const res = http.patch(`${BASE_URL}/products/${id}`, JSON.stringify({ priceCents }), tagged(ROUTE.update, json));
  check(res, { 'update: 200': (r) => r.status === 200 });
}

/** A product that lives for one iteration: the write path of create and delete, without growing the catalog. */
function createThenDelete() {
  const sku = `K6-${exec.vu.idInTest}-${exec.vu.iterationInScenario}-${Date.now()}`;
  const body = { sku, name: `Load test ${sku}`, priceCents: 999, categoryId: nextCategoryId(), tags: ['brand-loadtest'] };
  const created = http.post(`${BASE_URL}/products`, JSON.stringify(body), tagged(ROUTE.create, json));
  if (!check(created, { 'create: 201': (r) => r.status === 201 })) return;
  const removed = http.del(`${BASE_URL}/products/${created.json('id')}`, null, tagged(ROUTE.remove));
  check(removed, { 'delete: 204': (r) => r.status === 204 });
}

export function handleSummary(data) {
  return reportSummary(data, {
    scenario: 'catalog',
    target: BASE_URL,
    config: {
      PRODUCTS, CATEGORIES, ZIPF_S, RATE, DURATION, PAGE_SHARE, SEARCH_SHARE, SKU_SHARE, MISSING_SHARE,
      WRITE_SHARE, CREATE_SHARE, P95_MS, PRODUCT_HIT_RATIO, MAX_FAILED_RATE, MAX_VUS,
    },
    routes: Object.values(ROUTE),
  });
}
