import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureZipkin, zipkinSpansUrl, zipkinUrl } from '../../../infra/native';
import { call, freshEmail } from './support/http';
import { spawnUserService, type ServiceProcess } from './support/service-process';

interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

/** Polls Zipkin's search (spans arrive a batch delay after their request) until `traceId` is among the results. */
async function findTrace(annotationQuery: string, traceId: string, startedAt: number): Promise<ZipkinSpan[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const params = new URLSearchParams({
      serviceName: 'user-service',
      annotationQuery,
      endTs: String(Date.now()),
      lookback: String(Date.now() - startedAt + 60_000),
      limit: '1000',
    });
    const traces = (await (await fetch(`${zipkinUrl()}/api/v2/traces?${params}`)).json()) as ZipkinSpan[][];
    const trace = traces.find((spans) => spans[0]?.traceId === traceId);
    if (trace) return trace;
    if (Date.now() > deadline) throw new Error(`trace ${traceId} not found in Zipkin with annotationQuery=${annotationQuery}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A W3C traceparent of a fresh, sampled trace, so that the test knows which trace its request made. */
function newTrace(): { traceId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

describe('traces in Zipkin', () => {
  let instance: ServiceProcess;
  const startedAt = Date.now();

  beforeAll(async () => {
    const outcome = await ensureZipkin(() => undefined);
    if (outcome.state === 'skipped') throw new Error(`this test needs the stack's Zipkin, which cannot start here: ${outcome.reason}`);
    instance = await spawnUserService({ CACHELAB_ZIPKIN_URL: zipkinSpansUrl(), OTEL_BSP_SCHEDULE_DELAY: '100' });
  }, 180_000);
  afterAll(() => instance?.stop());

  it('a miss is found by its cache.result tag: SERVER span named by route, cache.get with pattern and result, the origin load below it', async () => {
    const user = (await call(`${instance.url}/users`, { method: 'POST', json: { email: freshEmail(), name: 'Z' } })).body;
    const miss = newTrace();
    const hit = newTrace();
    expect((await call(`${instance.url}/users/${user.id}`, { headers: { traceparent: miss.traceparent } })).cache).toBe('miss');
    expect((await call(`${instance.url}/users/${user.id}`, { headers: { traceparent: hit.traceparent } })).cache).toBe('hit');

    const trace = await findTrace('cache.result=miss', miss.traceId, startedAt);
    const server = trace.find((span) => span.kind === 'SERVER');
    // Zipkin stores span names in lower case.
    expect(server).toMatchObject({
      name: 'get /users/:id',
      localEndpoint: { serviceName: 'user-service' },
      tags: { 'http.route': '/users/:id', 'http.response.status_code': '200' },
    });
    // Named after the cache namespace, which tests prefix with a run id of their own.
    const get = trace.find((span) => span.name.startsWith('cache.get ') && span.name.endsWith('user.profile'));
    expect(get?.tags).toMatchObject({ 'cache.pattern': 'cache-aside', 'cache.result': 'miss' });
    const load = trace.find((span) => span.name === 'cache.origin.load');
    expect(load?.parentId).toBe(get?.id);

    // The hit is a trace of its own, found by its own tag and not by the miss's.
    const hitTrace = await findTrace('cache.result=hit and cache.pattern=cache-aside', hit.traceId, startedAt);
    expect(hitTrace.some((span) => span.name === 'cache.origin.load')).toBe(false);
  });
});
