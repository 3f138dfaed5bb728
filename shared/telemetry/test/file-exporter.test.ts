import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { JsonLinesSpanExporter } from '../src/file-exporter';
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

describe('a span file past its size limit is rotated', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cachelab-rotate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Ends `count` spans named span-0, span-1, ... through `exporter`, one export each. */
  async function writeSpans(exporter: JsonLinesSpanExporter, count: number): Promise<void> {
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = provider.getTracer('rotation-test');
    for (let i = 0; i < count; i++) tracer.startSpan(`span-${i}`, { attributes: { padding: 'x'.repeat(200) } }).end();
    await provider.forceFlush();
  }

  test('the file never exceeds the limit, the previous one is kept as .1, and no span is split or lost twice', async () => {
    const file = join(dir, 'svc.jsonl');
    const limit = 4096;
    await writeSpans(new JsonLinesSpanExporter(file, limit), 60);

    const current = readSpans(file);
    const previous = readSpans(`${file}.1`);
    expect(statSync(file).size).toBeLessThanOrEqual(limit);
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(limit);
    // The newest spans, in order, across the two files; older ones went with earlier rotations.
    const names = [...previous, ...current].map((span) => Number(span.name.slice('span-'.length)));
    expect(names.at(-1)).toBe(59);
    expect(names).toEqual(names.map((_, i) => 60 - names.length + i));
    expect(previous.length).toBeGreaterThan(0);
  });

  test('a bad CACHELAB_TRACE_FILE_MAX_MB stops the start with a message naming it', async () => {
    const run = runFixture('spans', { CACHELAB_STATE_DIR: dir, FIXTURE_SERVICE: 'bad-limit', CACHELAB_TRACE_FILE_MAX_MB: '-1' });
    await expect(run).rejects.toThrow(/CACHELAB_TRACE_FILE_MAX_MB: expected megabytes >= 0/);
  });

  test('without a limit the file only grows', async () => {
    const file = join(dir, 'svc.jsonl');
    await writeSpans(new JsonLinesSpanExporter(file), 60);
    expect(readSpans(file)).toHaveLength(60);
    expect(existsSync(`${file}.1`)).toBe(false);
  });
});
