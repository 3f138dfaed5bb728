import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpanRecord } from '@cachelab/telemetry';
import type { LabResults, TraceLink } from '../../src';

let next = 0;
const id = (length: number) => (++next).toString(16).padStart(length, '0');

/** One span line as shared/telemetry's file exporter writes it. */
function record(traceId: string, parent: SpanRecord | null, name: string, startMs: number, durationMs: number, extra: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId,
    spanId: id(16),
    parentSpanId: parent?.spanId ?? null,
    name,
    kind: 'INTERNAL',
    startTime: new Date(startMs).toISOString(),
    durationMs,
    status: { code: 'UNSET' },
    attributes: {},
    events: [],
    links: [],
    resource: { 'service.name': 'user-service' },
    scope: 'cachelab',
    ...extra,
  };
}

/** The spans of one GET /users/:id answered with `result`, in the shape the services record them. */
function read(result: 'hit' | 'miss' | 'coalesced' | 'stale', startMs: number): SpanRecord[] {
  const traceId = id(32);
  const server = record(traceId, null, 'GET /users/:id', startMs, result === 'hit' ? 1.2 : 6.5, {
    kind: 'SERVER',
    scope: 'cachelab.http',
    attributes: { 'http.request.method': 'GET', 'http.route': '/users/:id', 'http.response.status_code': 200 },
  });
  const get = record(traceId, server, 'cache.get user.profile', startMs + 0.1, result === 'hit' ? 0.8 : 5.9, {
    attributes: { 'cache.pattern': 'cache-aside', 'cache.result': result, 'cache.key': 'user:{1}:profile' },
  });
  const redis = (parent: SpanRecord, command: string) =>
    record(traceId, parent, command, startMs + 0.2, 0.4, { kind: 'CLIENT', scope: '@opentelemetry/instrumentation-ioredis', attributes: { 'db.system.name': 'redis' } });
  const lookup = record(traceId, get, 'cache.lookup', startMs + 0.2, 0.5);
  const spans = [server, get, lookup, redis(lookup, 'mget')];
  if (result === 'miss') {
    const load = record(traceId, get, 'cache.origin.load', startMs + 1, 4);
    spans.push(load, record(traceId, load, 'pg.query:SELECT cachelab_user', startMs + 1.2, 3, { kind: 'CLIENT', attributes: { 'db.system.name': 'postgresql' } }), redis(get, 'evalsha'));
  }
  if (result === 'coalesced') {
    const wait = record(traceId, get, 'cache.lock.wait', startMs + 1, 4, { attributes: { 'cache.result': 'coalesced', 'cache.lock.wait_ms': 4 } });
    spans.push(wait, redis(wait, 'mget'));
  }
  return spans;
}

/** A wrong-on-purpose read: no cached operation span, one query per request. */
function labRead(startMs: number): SpanRecord[] {
  const traceId = id(32);
  const server = record(traceId, null, 'GET /lab/users/:id/unprotected', startMs, 5, {
    kind: 'SERVER',
    attributes: { 'http.request.method': 'GET', 'http.route': '/lab/users/:id/unprotected', 'http.response.status_code': 200 },
  });
  return [server, record(traceId, server, 'pg.query:SELECT cachelab_user', startMs + 1, 3, { kind: 'CLIENT', attributes: { 'db.system.name': 'postgresql' } })];
}

export const LAB: LabResults = {
  generatedAt: '2026-12-07T17:00:00.000Z',
  comparisons: [
    {
      id: 'stampede',
      title: 'A burst of 500 cold reads',
      metric: 'origin queries',
      unit: 'queries',
      lowerIsBetter: true,
      rows: [
        { variant: 'GET /users/:id (lease + single flight)', wrongOnPurpose: false, value: 1 },
        { variant: 'GET /lab/users/:id/unprotected', wrongOnPurpose: true, value: 212, note: 'every request that missed queried' },
      ],
    },
    {
      id: 'cache-off',
      title: 'Cache on vs off',
      metric: 'p95 latency',
      unit: 'ms',
      lowerIsBetter: true,
      rows: [
        { variant: 'cache on', wrongOnPurpose: false, value: 2.1 },
        { variant: 'cache off', wrongOnPurpose: true, value: 9.4 },
      ],
    },
  ],
};

export const LINKS: TraceLink[] = [{ behaviour: 'a hit', traceId: 'abc', url: 'http://127.0.0.1:9411/zipkin/traces/abc' }];

/**
 * A state folder holding what a demo run leaves: span files over ten seconds, lab.json,
 * trace-links.json and a k6 summary with its HTML report.
 */
export function writeSyntheticRun(stateDir: string, startMs: number): void {
  const spans: SpanRecord[] = [];
  for (let second = 0; second < 10; second += 1) {
    const at = startMs + second * 1000;
    spans.push(...read('miss', at), ...read('coalesced', at + 10), ...read('stale', at + 15), ...labRead(at + 30));
    for (let i = 0; i < second; i += 1) spans.push(...read('hit', at + 50 + i));
  }
  mkdirSync(join(stateDir, 'traces'), { recursive: true });
  writeFileSync(join(stateDir, 'traces', 'user-service.jsonl'), spans.map((span) => `${JSON.stringify(span)}\n`).join(''));
  const reports = join(stateDir, 'reports');
  mkdirSync(reports, { recursive: true });
  writeFileSync(join(reports, 'lab.json'), JSON.stringify(LAB));
  writeFileSync(join(reports, 'trace-links.json'), JSON.stringify(LINKS));
  writeFileSync(join(reports, 'user-profiles.json'), JSON.stringify({ scenario: 'user-profiles', passed: true, requests: { total: 1200, perSecond: 120 }, latencyMs: { all: { p95: 3.2 } }, cache: { hitRatio: 0.93 } }));
  // Not a k6 report: not listed as one.
  writeFileSync(join(reports, 'comparison.html'), '<!doctype html><title>cachelab: pattern comparison</title>');
  writeFileSync(join(reports, 'user-profiles.html'), '<!doctype html><html><head><title>k6 report</title></head><body><p>k6</p></body></html>');
}
