import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { lastJsonLine, readSpans, runFixture } from './helpers';

describe('spans without a collector go to a JSON-lines file', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'cachelab-telemetry-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  test('withSpan spans land in <state>/traces/<service>.jsonl with attributes and parents', async () => {
    const run = await runFixture('spans', { CACHELAB_STATE_DIR: stateDir, FIXTURE_SERVICE: 'spans-test' });
    const spans = readSpans(join(stateDir, 'traces', 'spans-test.jsonl'));

    const outer = spans.find((span) => span.name === 'cache.get');
    const inner = spans.find((span) => span.name === 'cache.lock');
    expect(outer).toMatchObject({
      parentSpanId: null,
      kind: 'INTERNAL',
      status: { code: 'UNSET' },
      attributes: { 'cache.pattern': 'cache-aside', 'cache.key': 'user:{42}:profile', 'cache.result': 'miss' },
      resource: { 'service.name': 'spans-test', 'service.version': '1.2.3' },
      scope: 'cachelab',
    });
    expect(inner).toMatchObject({ traceId: outer?.traceId, parentSpanId: outer?.spanId });
    expect(inner?.attributes).toEqual({ 'cache.pattern': 'cache-aside', 'cache.result': 'acquired' });
    expect(Number.isNaN(Date.parse(outer?.startTime ?? ''))).toBe(false);
    expect(outer?.durationMs).toBeGreaterThanOrEqual(inner?.durationMs ?? Infinity);

    // A log line written inside a span names that span.
    const logLine = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === 'looking up');
    expect(logLine).toMatchObject({ service: 'fixture', trace_id: outer?.traceId, span_id: outer?.spanId });

    expect(lastJsonLine(run.stdout)).toMatchObject({ sameHandle: true, failure: 'database is down' });
  });

  test('a span whose function throws is ended with error status and the exception', async () => {
    await runFixture('spans', { CACHELAB_STATE_DIR: stateDir, FIXTURE_SERVICE: 'errors-test' });
    const failed = readSpans(join(stateDir, 'traces', 'errors-test.jsonl')).find((span) => span.name === 'origin.load');

    expect(failed?.status).toEqual({ code: 'ERROR', message: 'database is down' });
    expect(failed?.events).toContainEqual(
      expect.objectContaining({ name: 'exception', attributes: expect.objectContaining({ 'exception.message': 'database is down' }) }),
    );
  });

  test('CACHELAB_TELEMETRY=off loads no SDK and writes no spans', async () => {
    const run = await runFixture('spans', { CACHELAB_STATE_DIR: stateDir, FIXTURE_SERVICE: 'off-test', CACHELAB_TELEMETRY: 'off' });

    expect(lastJsonLine(run.stdout)).toMatchObject({ sameHandle: true, sdkLoaded: false, failure: 'database is down' });
    expect(readSpans(join(stateDir, 'traces', 'off-test.jsonl'))).toEqual([]);
  });
});
