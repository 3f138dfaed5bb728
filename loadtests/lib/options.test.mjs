// The three load shapes of options.js: `node --test 'loadtests/**/*.test.mjs'`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arrivalRateOptions, burstOptions, closedLoopOptions } from './options.js';

const common = { maxFailedRate: 0.01, thresholds: { lab_units_sold: [] } };

test('every shape shares the failure thresholds, route tags and statistics', () => {
  for (const options of [
    arrivalRateOptions({ scenario: 's', rate: 100, duration: '5s', maxVUs: 50, minVUs: 5, ratePerVU: 20, ...common }),
    closedLoopOptions({ scenario: 's', vus: 20, duration: '5s', ...common }),
    burstOptions({ scenario: 's', vus: 100, ...common }),
  ]) {
    assert.deepEqual(options.thresholds, { http_req_failed: ['rate<0.01'], checks: ['rate>0.99'], lab_units_sold: [] });
    assert.ok(!options.systemTags.includes('url'), 'no url tag: one time series per route, not per id');
    assert.ok(options.summaryTrendStats.includes('p(95)'));
    assert.equal(options.maxRedirects, 0);
  }
});

test('the arrival rate pre-allocates rate / ratePerVU VUs within [minVUs, maxVUs]', () => {
  const at = (rate) => arrivalRateOptions({ scenario: 's', rate, duration: '5s', maxVUs: 50, minVUs: 5, ratePerVU: 20, ...common }).scenarios.s;
  assert.equal(at(10).preAllocatedVUs, 5);
  assert.equal(at(400).preAllocatedVUs, 20);
  assert.equal(at(5000).preAllocatedVUs, 50);
  assert.equal(at(400).executor, 'constant-arrival-rate');
});

test('a closed loop keeps a fixed number of clients for the duration', () => {
  const { scenarios } = closedLoopOptions({ scenario: 'reserve_lua', vus: 20, duration: '5s', ...common, extra: { teardownTimeout: '30s' } });
  assert.deepEqual(scenarios, { reserve_lua: { executor: 'constant-vus', vus: 20, duration: '5s' } });
});

test('a burst is one request per VU, all VUs together', () => {
  const options = burstOptions({ scenario: 'stampede_burst', vus: 100, ...common });
  assert.deepEqual(options.scenarios.stampede_burst, { executor: 'per-vu-iterations', vus: 100, iterations: 1, maxDuration: '30s' });
});

test('extra options are passed through', () => {
  assert.equal(closedLoopOptions({ scenario: 's', vus: 1, duration: '1s', ...common, extra: { teardownTimeout: '90s' } }).teardownTimeout, '90s');
});
