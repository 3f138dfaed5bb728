// The lab scenarios' reading of /metrics: `node --test 'loadtests/**/*.test.mjs'`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricSum, parseSample } from './prometheus.js';

const TEXT = `# HELP cachelab_origin_queries_total Queries that reached the database.
# TYPE cachelab_origin_queries_total counter
cachelab_origin_queries_total{service="user",operation="user.find"} 120
cachelab_origin_queries_total{service="user",operation="user.create"} 3
cachelab_origin_queries_total{service="user",operation="user.summary"} 7 1733580000000
cachelab_write_behind_recorded_total{counter="views",store="redis"} 1001
cachelab_write_behind_recorded_total{counter="views",store="database"} 0
cachelab_write_behind_recorded_total{counter="sold",store="redis"} 12
process_cpu_seconds_total 1.5e1
odd{label="a \\"quoted\\" value, with } inside"} 2
`;

test('sums every sample of a metric', () => {
  assert.equal(metricSum(TEXT, 'cachelab_origin_queries_total'), 130);
});

test('keeps only the samples whose labels match', () => {
  assert.equal(metricSum(TEXT, 'cachelab_origin_queries_total', { operation: 'user.find' }), 120);
  assert.equal(metricSum(TEXT, 'cachelab_write_behind_recorded_total', { counter: 'views', store: 'redis' }), 1001);
  assert.equal(metricSum(TEXT, 'cachelab_write_behind_recorded_total', { store: ['redis', 'database'], counter: 'views' }), 1001);
  assert.equal(metricSum(TEXT, 'cachelab_origin_queries_total', { operation: 'nothing' }), 0);
});

test('a metric that is absent sums to 0, and a name prefix is not a match', () => {
  assert.equal(metricSum(TEXT, 'cachelab_origin_queries'), 0);
  assert.equal(metricSum('', 'cachelab_origin_queries_total'), 0);
});

test('reads unlabelled samples, exponents, timestamps and escaped label values', () => {
  assert.deepEqual(parseSample('process_cpu_seconds_total 1.5e1'), { name: 'process_cpu_seconds_total', labels: {}, value: 15 });
  assert.equal(parseSample('cachelab_origin_queries_total{operation="x"} 7 1733580000000').value, 7);
  assert.deepEqual(parseSample('odd{label="a \\"quoted\\" value, with } inside"} 2').labels, { label: 'a "quoted" value, with } inside' });
  assert.equal(parseSample('# TYPE x counter'), null);
  assert.equal(parseSample('garbage'), null);
});
