import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, waitFor, type Reply } from '@cachelab/testing';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeFigures, DEFAULT_ZIPKIN_URL, readSpanFiles, readZipkin, zipkinAnswers, type Figures, type Span } from '../src';
import { databaseUrl, startUserInstances, type UserRun } from './support/user-instances';

/**
 * A run whose answer is known: N concurrent cold reads of one user profile, across two real
 * user-service processes, while the origin is held (the users table locked in Postgres) until
 * every request has looked the cache up. Stampede protection must then answer with exactly one
 * origin load: one miss, N-1 coalesced followers (one of them, the other process's loader,
 * waiting on the Redis lease), N requests. The comparison must read exactly that from the spans,
 * from the span files and, when the stack's Zipkin runs, from Zipkin.
 */
const N = 40;

let run: UserRun;
let zipkin = false;
let replies: Reply[] = [];
let entryKey = '';
let startedMs = 0;
let originQueries = 0;

const spanLines = (stateDir: string): { name: string; attributes: Record<string, unknown> }[] => {
  try {
    return readFileSync(join(stateDir, 'traces', 'user-service.jsonl'), 'utf8')
      .split('\n')
      .flatMap((line) => {
        try {
          return line ? [JSON.parse(line)] : [];
        } catch {
          return []; // a batch being appended
        }
      });
  } catch {
    return [];
  }
};

/** The spans of the traces that read the run's key (Zipkin also holds every other run's; the POST only invalidated it). */
function ofThisRun(spans: Span[]): Span[] {
  const traces = new Set(spans.filter((span) => span.name === 'cache.lookup' && span.attributes['cache.key'] === entryKey).map((span) => span.traceId));
  return spans.filter((span) => traces.has(span.traceId));
}

beforeAll(async () => {
  zipkin = await zipkinAnswers(DEFAULT_ZIPKIN_URL);
  if (!zipkin) console.warn(`[compare] no Zipkin at ${DEFAULT_ZIPKIN_URL}: the known run is read from the span files only`);
  run = await startUserInstances(2, zipkin ? `${DEFAULT_ZIPKIN_URL}/api/v2/spans` : undefined);
  const [a, b] = run.instances as [(typeof run.instances)[0], (typeof run.instances)[0]];
  const user = (await call(`${a.url}/users`, { method: 'POST', json: { email: `${run.keyPrefix}x@example.test`, name: 'Known' } })).body as { id: number };
  entryKey = `${run.keyPrefix}user:{${user.id}}:profile`;
  const before = (await a.originQueries('user.find')) + (await b.originQueries('user.find'));
  startedMs = Date.now();

  // Hold the origin: reads of the users table wait for this transaction.
  const holder = new Client({ connectionString: databaseUrl });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE "User" IN ACCESS EXCLUSIVE MODE');
    const pending = Promise.all(Array.from({ length: N }, (_, i) => call(`${(i % 2 ? a : b).url}/users/${user.id}`)));
    // Every request has read the cache (and found nothing) before the origin can answer.
    await waitFor(
      () => spanLines(run.stateDir).filter((span) => span.name === 'cache.lookup' && span.attributes['cache.key'] === entryKey).length === N,
      { timeoutMs: 30_000, what: `${N} cache.lookup spans of ${entryKey}` },
    );
    await holder.query('COMMIT');
    replies = await pending;
  } finally {
    await holder.end();
  }
  originQueries = (await a.originQueries('user.find')) + (await b.originQueries('user.find')) - before;
  await run.stop();
});

afterAll(async () => {
  await run?.stop();
});

/** The figures a correct comparison reads from this run. */
function expectKnownAnswer(figures: Figures, lockWaitSpans: Span[]): void {
  const rows = figures.rows.filter((row) => row.pattern === 'cache-aside');
  const miss = rows.find((row) => row.result === 'miss');
  const coalesced = rows.find((row) => row.result === 'coalesced');
  expect(rows.map((row) => row.result).sort()).toEqual(['coalesced', 'miss']);
  expect(miss).toMatchObject({ requests: 1, operations: 1, originLoadsPerRequest: 1, dbCallsPerRequest: 1, followers: 0, errors: 0 });
  expect(miss!.dbQueriesPerRequest).toBeGreaterThanOrEqual(1);
  expect(coalesced).toMatchObject({ requests: N - 1, operations: N - 1, originLoadsPerRequest: 0, dbCallsPerRequest: 0, dbQueriesPerRequest: 0, followers: N - 1, errors: 0 });
  // Every read looked the cache up in Redis; the winner also took and released the lease.
  expect(coalesced!.redisCallsPerRequest).toBeGreaterThanOrEqual(1);
  expect(miss!.redisCallsPerRequest).toBeGreaterThan(coalesced!.redisCallsPerRequest);

  const [user] = figures.services.filter((service) => service.service === 'user-service');
  expect(user).toMatchObject({ requests: N, reads: N, originLoads: 1, dbCalls: 1, followers: N - 1, failedRequests: 0 });
  // The other process's loader waited on the Redis lease; its followers and this process's shared a load in memory.
  expect(user!.lockWaits).toBe(lockWaitSpans.length);
  expect(user!.followersWaited).toBe(lockWaitSpans.length);
  expect(user!.followersInProcess).toBe(N - 1 - lockWaitSpans.length);
  expect(user!.lockWaitMs).toBeCloseTo(lockWaitSpans.reduce((sum, span) => sum + Number(span.attributes['cache.lock.wait_ms'] ?? span.durationMs), 0), 3);
  expect(user!.hitRatio).toBeCloseTo((N - 1) / N, 6);
  // The waiting lasted as long as the origin was held: it shows in the request latencies.
  expect(coalesced!.requestMs.p99).toBeGreaterThan(0);
}

describe('the figures of a run whose answer is known', () => {
  it('the run itself: one origin query, one miss, N-1 coalesced (x-cache headers, /metrics)', () => {
    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    const tally = replies.map((reply) => reply.cache).sort();
    expect(tally).toEqual(['miss', ...Array<string>(N - 1).fill('coalesced')].sort());
    expect(originQueries).toBe(1);
  });

  it('read from the span files: N requests, 1 origin load, N-1 followers', async () => {
    const spans = ofThisRun(await readSpanFiles({ dir: join(run.stateDir, 'traces'), sinceMs: startedMs - 1000, untilMs: Date.now() }));
    const lockWaits = spans.filter((span) => span.name === 'cache.lock.wait');
    expect(lockWaits.length).toBeLessThanOrEqual(1);
    expectKnownAnswer(computeFigures(spans), lockWaits);
  });

  it('read from Zipkin: the same figures', async (context) => {
    if (!zipkin) {
      console.warn(`[compare] skipped: no Zipkin answers at ${DEFAULT_ZIPKIN_URL} (npm run stack -- up starts one)`);
      context.skip();
    }
    // Zipkin indexes what it receives asynchronously: wait until every request of the run is there.
    const spans = await waitFor(
      async () => {
        const found = ofThisRun(await readZipkin({ url: DEFAULT_ZIPKIN_URL, sinceMs: startedMs - 1000, untilMs: Date.now(), limit: 10_000 }));
        return found.filter((span) => span.kind === 'SERVER').length === N && found.some((span) => span.name === 'cache.origin.load') ? found : null;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: `Zipkin to hold the ${N} traces of the run` },
    );
    const lockWaits = spans.filter((span) => span.name === 'cache.lock.wait');
    expectKnownAnswer(computeFigures(spans), lockWaits);
  });
});
