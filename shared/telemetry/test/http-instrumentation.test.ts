import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { SpanRecord } from '../src/file-exporter';
import { lastJsonLine, readSpans, runFixture } from './helpers';

let stateDir: string;
let spans: SpanRecord[];
let statuses: number[];

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'cachelab-telemetry-'));
  const run = await runFixture('express-server', { CACHELAB_STATE_DIR: stateDir, FIXTURE_SERVICE: 'http-test' });
  statuses = lastJsonLine<{ statuses: number[] }>(run.stdout).statuses;
  spans = readSpans(join(stateDir, 'traces', 'http-test.jsonl'));
});
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const serverSpan = (path: string) => spans.find((span) => span.kind === 'SERVER' && span.attributes['url.path'] === path);

test('an incoming request gets one server span named after its route, with the stable HTTP attributes', () => {
  expect(statuses).toEqual([200, 200, 201, 500, 200]);
  expect(serverSpan('/items/7')).toMatchObject({
    name: 'GET /items/:id',
    scope: 'cachelab.http',
    status: { code: 'UNSET' },
    attributes: { 'http.request.method': 'GET', 'http.route': '/items/:id', 'http.response.status_code': 200, 'url.scheme': 'http' },
    resource: { 'service.name': 'http-test' },
  });
  // No handler spans from the express instrumentation: the server span already names the route.
  expect(spans.filter((span) => span.scope.includes('instrumentation-express'))).toEqual([]);
});

test('the caller and the server share one trace through the propagated context', () => {
  const server = serverSpan('/items/7');
  const client = spans.find((span) => span.spanId === server?.parentSpanId);
  expect(client).toMatchObject({ kind: 'CLIENT', traceId: server?.traceId, scope: '@opentelemetry/instrumentation-http' });
});

test('spans made after the body was read are children of the server span', () => {
  const server = serverSpan('/items');
  expect(server).toMatchObject({ name: 'POST /items', attributes: { 'http.response.status_code': 201 } });
  const child = spans.find((span) => span.name === 'item.create');
  expect(child).toMatchObject({ traceId: server?.traceId, parentSpanId: server?.spanId, attributes: { 'item.name': 'lamp' } });
});

test('a 500 marks the server span as failed and records the exception', () => {
  const server = serverSpan('/boom');
  expect(server).toMatchObject({ name: 'GET /boom', status: { code: 'ERROR', message: 'kaboom' } });
  expect(server?.events.map((event) => [event.name, event.attributes['exception.message']])).toEqual([['exception', 'kaboom']]);
});

test('probes get no server span, and neither does a request whose caller did not sample its trace', () => {
  const paths = spans.filter((span) => span.kind === 'SERVER').map((span) => span.attributes['url.path']);
  expect(paths.sort()).toEqual(['/boom', '/items', '/items/7']);
  expect(spans.some((span) => span.traceId === '0af7651916cd43dd8448eb211c80319c')).toBe(false);
});

test('starting telemetry after ioredis was required logs a warning naming it', async () => {
  const run = await runFixture('late-start', { CACHELAB_STATE_DIR: stateDir });
  const warning = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; modules?: string[] })
    .find((line) => line.modules !== undefined);
  expect(warning).toMatchObject({ level: 40, modules: ['ioredis'] });
});
