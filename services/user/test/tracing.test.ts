import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, freshEmail } from './support/http';
import { spawnUserService } from './support/service-process';

interface SpanLine {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  attributes: Record<string, unknown>;
}

describe('tracing', () => {
  it('a cached read is one trace: HTTP span > cache.get (pattern, result) > lookup / origin load', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'cachelab-trace-'));
    const instance = await spawnUserService({ CACHELAB_STATE_DIR: stateDir });
    const user = (await call(`${instance.url}/users`, { method: 'POST', json: { email: freshEmail(), name: 'T' } })).body;
    await call(`${instance.url}/users/${user.id}`);
    await call(`${instance.url}/users/${user.id}`);
    await instance.stop(); // SIGTERM: telemetry shutdown flushes the spans

    const spans = readFileSync(join(stateDir, 'traces', 'user-service.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as SpanLine);
    const cacheGets = spans.filter((span) => span.name.startsWith('cache.get ') && span.name.endsWith('user.profile') && String(span.attributes['cache.key']).endsWith(`{${user.id}}:profile`));
    expect(cacheGets.map((span) => [span.attributes['cache.pattern'], span.attributes['cache.result']])).toEqual([
      ['cache-aside', 'miss'],
      ['cache-aside', 'hit'],
    ]);

    const [miss] = cacheGets as [SpanLine];
    const trace = spans.filter((span) => span.traceId === miss.traceId);
    const parent = trace.find((span) => span.spanId === miss.parentSpanId);
    expect(trace.some((span) => span.name.startsWith('GET') && span.parentSpanId === null)).toBe(true);
    expect(parent).toBeDefined();
    const children = trace.filter((span) => span.parentSpanId === miss.spanId).map((span) => span.name);
    expect(children).toEqual(expect.arrayContaining(['cache.lookup', 'cache.origin.load']));
    // The origin load reached Postgres inside the same trace (pg or Prisma spans under it).
    const originLoad = trace.find((span) => span.name === 'cache.origin.load')!;
    const below = (id: string): SpanLine[] => trace.filter((span) => span.parentSpanId === id).flatMap((span) => [span, ...below(span.spanId)]);
    expect(below(originLoad.spanId).length).toBeGreaterThan(0);
  });
});
