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

test('an incoming request gets a server span named after its route, with the express handler inside', () => {
  expect(statuses).toEqual([200, 200]);
  const server = spans.find((span) => span.kind === 'SERVER' && span.attributes['url.path'] === '/items/7');
  expect(server).toMatchObject({
    name: 'GET /items/:id',
    scope: '@opentelemetry/instrumentation-http',
    attributes: { 'http.route': '/items/:id', 'http.response.status_code': 200 },
    resource: { 'service.name': 'http-test' },
  });

  const handler = spans.find((span) => span.scope === '@opentelemetry/instrumentation-express');
  expect(handler).toMatchObject({ traceId: server?.traceId, parentSpanId: server?.spanId });
  // Middleware layers (express.json) are not traced: one handler span per request.
  expect(spans.filter((span) => span.scope === '@opentelemetry/instrumentation-express')).toHaveLength(1);
});

test('the caller and the server share one trace through the propagated context', () => {
  const server = spans.find((span) => span.kind === 'SERVER');
  const client = spans.find((span) => span.spanId === server?.parentSpanId);
  expect(client).toMatchObject({ kind: 'CLIENT', traceId: server?.traceId });
});

test('probes (/healthz, /readyz, /metrics) get no server span', () => {
  expect(spans.filter((span) => span.kind === 'SERVER').map((span) => span.attributes['url.path'])).toEqual(['/items/7']);
});

test('starting telemetry after express was required logs a warning naming it', async () => {
  const run = await runFixture('late-start', { CACHELAB_STATE_DIR: stateDir });
  const warning = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; modules?: string[] })
    .find((line) => line.modules !== undefined);
  expect(warning).toMatchObject({ level: 40, modules: ['express'] });
});
