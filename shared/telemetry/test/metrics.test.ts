import { describe, expect, test } from 'vitest';
import {
  cacheOperationDuration,
  cacheRequests,
  cacheWriteFailures,
  metricsContentType,
  metricsText,
  originQueries,
  rateLimited,
  readCounter,
  setCircuitBreakerState,
  setMetricsService,
} from '../src/index';

describe('metrics', () => {
  test('every sample carries the service label, and readCounter reads them back', async () => {
    setMetricsService('metrics-test');
    cacheRequests.inc({ pattern: 'cache-aside', result: 'hit' }, 3);
    cacheRequests.inc({ pattern: 'cache-aside', result: 'miss' });
    cacheRequests.inc({ pattern: 'write-through', result: 'hit' }, 2);
    originQueries.inc({ operation: 'user.findById' });
    cacheWriteFailures.inc({ pattern: 'write-through' });
    rateLimited.inc({ route: '/users/:id' });
    setCircuitBreakerState('redis', 'half-open');
    cacheOperationDuration.observe({ pattern: 'cache-aside', step: 'lookup' }, 0.0004);

    const text = await metricsText();
    expect(text).toContain('cachelab_cache_requests_total{pattern="cache-aside",result="hit",service="metrics-test"} 3');
    expect(text).toContain('cachelab_origin_queries_total{operation="user.findById",service="metrics-test"} 1');
    expect(text).toContain('cachelab_circuit_breaker_state{breaker="redis",service="metrics-test"} 1');
    expect(text).toMatch(/^process_cpu_user_seconds_total\{service="metrics-test"\} /m);

    expect(readCounter(text, 'cachelab_cache_requests_total', { pattern: 'cache-aside', result: 'hit' })).toBe(3);
    expect(readCounter(text, 'cachelab_cache_requests_total', { result: 'hit' })).toBe(5);
    expect(readCounter(text, 'cachelab_cache_requests_total', { service: 'metrics-test' })).toBe(6);
    expect(readCounter(text, 'cachelab_cache_requests_total', { result: 'stale' })).toBe(0);
    expect(readCounter(text, 'cachelab_cache_write_failures_total', { pattern: 'write-through' })).toBe(1);
    expect(readCounter(text, 'cachelab_rate_limited_total')).toBe(1);
    expect(readCounter(text, 'cachelab_cache_operation_duration_seconds_count', { step: 'lookup' })).toBe(1);
    expect(readCounter(text, 'cachelab_cache_operation_duration_seconds_bucket', { step: 'lookup', le: '0.0005' })).toBe(1);
    expect(metricsContentType).toMatch(/^text\/plain/);
  });

  test('readCounter copes with escaped label values, timestamps and special values', () => {
    const text = [
      '# HELP demo_total A demo.',
      '# TYPE demo_total counter',
      'demo_total{path="/a\\"b\\\\c}",service="x"} 2 1700000000000',
      'demo_total{path="/plain",service="x"} 1.5',
      'demo_total 4',
      'demo_total_other{service="x"} 100',
      'demo_gauge{service="x"} +Inf',
      '',
    ].join('\n');

    expect(readCounter(text, 'demo_total', { path: '/a"b\\c}' })).toBe(2);
    expect(readCounter(text, 'demo_total', { service: 'x' })).toBe(3.5);
    expect(readCounter(text, 'demo_total')).toBe(7.5);
    expect(readCounter(text, 'demo_gauge')).toBe(Number.POSITIVE_INFINITY);
    expect(readCounter(text, 'absent_total')).toBe(0);
  });
});
