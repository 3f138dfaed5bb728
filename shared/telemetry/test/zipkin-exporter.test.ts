import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureZipkin, zipkinSpansUrl, zipkinUrl } from '../../../infra/native';
import { lastJsonLine, readSpans, runFixture } from './helpers';
import { waitForTrace } from './zipkin-api';

// Against the native stack's Zipkin (started here when it is not running, as `stack up` does).
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'cachelab-zipkin-'));
  const outcome = await ensureZipkin(() => undefined);
  if (outcome.state === 'skipped') throw new Error(`these tests need the stack's Zipkin, which cannot start here: ${outcome.reason}`);
}, 180_000);
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const runId = (): string => `r${process.pid}-${Date.now()}`;

interface Ids {
  leader: string;
  leaderSpan: string;
  follower: string;
}

test('with CACHELAB_ZIPKIN_URL set, spans reach Zipkin: found by tag, named by service.name, attributes as tags', async () => {
  const run = runId();
  const fixture = await runFixture('zipkin-spans', {
    CACHELAB_STATE_DIR: stateDir,
    FIXTURE_SERVICE: 'zipkin-test',
    FIXTURE_RUN: run,
    CACHELAB_ZIPKIN_URL: zipkinSpansUrl(),
  });
  const ids = lastJsonLine<Ids>(fixture.stdout);

  const trace = await waitForTrace(
    zipkinUrl(),
    { serviceName: 'zipkin-test', annotationQuery: `cache.result=miss and test.run=${run}` },
    (spans) => spans.some((span) => span.traceId === ids.leader),
  );
  const get = trace.find((span) => span.name === 'cache.get user.profile');
  const load = trace.find((span) => span.name === 'cache.origin.load');
  expect(get).toMatchObject({
    localEndpoint: { serviceName: 'zipkin-test' },
    tags: { 'cache.pattern': 'cache-aside', 'cache.result': 'miss', 'service.version': '1.2.3' },
  });
  expect(load?.parentId).toBe(get?.id);
  // Only the resource attributes that tell instances apart: no process.command_args, host.*, telemetry.sdk.*.
  expect(Object.keys(get?.tags ?? {}).filter((tag) => /^(process|host|os|telemetry)\./.test(tag))).toEqual([]);
  // The span file is still written beside Zipkin.
  expect(readSpans(join(stateDir, 'traces', 'zipkin-test.jsonl')).length).toBe(3);
});

test('a span link, which Zipkin cannot show, becomes an otel.links tag naming the linked span', async () => {
  const run = runId();
  const fixture = await runFixture('zipkin-spans', {
    CACHELAB_STATE_DIR: stateDir,
    FIXTURE_SERVICE: 'zipkin-test',
    FIXTURE_RUN: run,
    CACHELAB_ZIPKIN_URL: zipkinSpansUrl(),
  });
  const ids = lastJsonLine<Ids>(fixture.stdout);

  const [follower] = await waitForTrace(
    zipkinUrl(),
    { serviceName: 'zipkin-test', annotationQuery: `cache.result=coalesced and test.run=${run}` },
    (spans) => spans.some((span) => span.traceId === ids.follower),
  );
  expect(follower?.tags?.['otel.links']).toBe(`${ids.leader}-${ids.leaderSpan}`);
  expect(follower?.annotations?.map((annotation) => annotation.value)).toEqual(['leader answered']);
});

test('CACHELAB_TRACE_FILE=off: Zipkin only, no span file', async () => {
  const run = runId();
  const fixture = await runFixture('zipkin-spans', {
    CACHELAB_STATE_DIR: stateDir,
    FIXTURE_SERVICE: 'zipkin-only',
    FIXTURE_RUN: run,
    CACHELAB_ZIPKIN_URL: zipkinSpansUrl(),
    CACHELAB_TRACE_FILE: 'off',
  });
  const ids = lastJsonLine<Ids>(fixture.stdout);
  await waitForTrace(zipkinUrl(), { serviceName: 'zipkin-only', annotationQuery: `test.run=${run}` }, (spans) => spans.some((span) => span.traceId === ids.leader));
  expect(readSpans(join(stateDir, 'traces', 'zipkin-only.jsonl'))).toEqual([]);
});

test('a bad CACHELAB_ZIPKIN_URL stops the start with a message naming it', async () => {
  const run = runFixture('zipkin-spans', { CACHELAB_STATE_DIR: stateDir, CACHELAB_ZIPKIN_URL: '127.0.0.1:9411/api/v2/spans' });
  await expect(run).rejects.toThrow(/CACHELAB_ZIPKIN_URL: expected a URL/);
});

test('a Zipkin that is down costs the spans, not the shutdown', async () => {
  const fixture = await runFixture('zipkin-spans', {
    CACHELAB_STATE_DIR: stateDir,
    FIXTURE_SERVICE: 'zipkin-down',
    // Port 9 (discard) on loopback: nothing listens there.
    CACHELAB_ZIPKIN_URL: 'http://127.0.0.1:9/api/v2/spans',
  });
  expect(fixture.stdout).toContain('telemetry shutdown could not export the last spans');
  expect(readSpans(join(stateDir, 'traces', 'zipkin-down.jsonl')).length).toBe(3);
});
