import { ChaosRedis, testRedisConfig, uniqueName, waitFor } from '@cachelab/testing';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CacheAside } from '../src/cache-aside';
import { encode } from '../src/envelope';
import { NearCache } from '../src/near-cache';
import { ReadThrough } from '../src/read-through';
import { TagIndex } from '../src/tag-invalidation';
import { countingLoader, gate, newCache, newStore, productionStore } from './helpers';
import { idOf, recordSpans, traceOf } from './spans';

/**
 * The span attributes and links that make each behaviour findable by a trace search
 * (docs/traces.md): a Zipkin tag query such as `cache.lock.waited=true` must find exactly the
 * reads that did that, and the trace must show the steps that explain it.
 */
const recorder = recordSpans();
beforeEach(() => recorder.reset());

const chaos: ChaosRedis[] = [];
const nearCaches: NearCache<string>[] = [];
afterAll(async () => {
  await Promise.all(nearCaches.map((cache) => cache.close()));
  await Promise.all(chaos.map((proxies) => proxies.close()));
});

const attrs = (span: ReadableSpan | undefined) => span?.attributes ?? {};
const childrenOf = (parent: ReadableSpan) => recorder.spans().filter((span) => span.parentSpanContext?.spanId === idOf(parent));

describe('span attributes of the read paths', () => {
  it('a read that waited on another instance\'s lease: cache.lock.waited=true, coalesced, with its cache.lock.wait step', async () => {
    const namespace = uniqueName('ns');
    const a = await newCache<string>(await newStore(), { namespace });
    const b = await newCache<string>(await newStore(), { namespace });
    const database = gate();
    const winner = a.get(1, async () => {
      await database.opened;
      return 'winner';
    });
    await waitFor(async () => recorder.started('cache.origin.load'), { what: 'the winner to start loading' });
    const waiterLoad = countingLoader('waiter');
    const waiter = b.get(1, waiterLoad);
    await waitFor(async () => recorder.started('cache.lock.wait'), { what: 'the other instance to wait on the lease' });
    database.open();

    expect(await waiter).toEqual({ value: 'winner', result: 'coalesced' });
    await winner;
    expect(waiterLoad.calls).toBe(0);
    const [first, second] = recorder.spans('cache.get ');
    const [winnerSpan, waiterSpan] = attrs(first)['cache.result'] === 'miss' ? [first!, second!] : [second!, first!];
    expect(attrs(winnerSpan)['cache.lock.waited']).toBeUndefined();
    expect(attrs(waiterSpan)).toMatchObject({ 'cache.result': 'coalesced', 'cache.lock.waited': true });
    expect(attrs(waiterSpan)['cache.single_flight']).toBeUndefined();
    const wait = childrenOf(waiterSpan).find((span) => span.name === 'cache.lock.wait');
    expect(attrs(wait)).toMatchObject({ 'cache.result': 'coalesced' });
    expect(childrenOf(waiterSpan).some((span) => span.name === 'cache.origin.load')).toBe(false);
  });

  it('an in-process follower: cache.single_flight=follower and a span link to the leader\'s origin load', async () => {
    const cache = await newCache<string>(await newStore());
    const database = gate();
    const leader = cache.get(1, async () => {
      await database.opened;
      return 'value';
    });
    await waitFor(async () => recorder.started('cache.origin.load'), { what: 'the leader to start loading' });
    const follower = cache.get(1, countingLoader('never'));
    database.open();
    expect(await follower).toEqual({ value: 'value', result: 'coalesced' });
    expect(await leader).toEqual({ value: 'value', result: 'miss' });

    const load = recorder.spans('cache.origin.load')[0]!;
    const followerSpan = recorder.spans('cache.get ').find((span) => attrs(span)['cache.result'] === 'coalesced')!;
    const leaderSpan = recorder.spans('cache.get ').find((span) => attrs(span)['cache.result'] === 'miss')!;
    expect(traceOf(followerSpan)).not.toBe(traceOf(leaderSpan)); // two requests, two traces
    expect(followerSpan.links).toHaveLength(1);
    expect(followerSpan.links[0]!.context).toMatchObject({ traceId: traceOf(load), spanId: idOf(load) });
    expect(followerSpan.links[0]!.attributes).toEqual({ 'cache.link': 'single-flight-leader' });
    expect(attrs(followerSpan)).toMatchObject({
      'cache.single_flight': 'follower',
      'cache.leader.trace_id': traceOf(load),
      'cache.leader.span_id': idOf(load),
    });
    expect(attrs(followerSpan)['cache.lock.waited']).toBeUndefined();
    expect(leaderSpan.links).toHaveLength(0);
    expect(attrs(leaderSpan)['cache.single_flight']).toBeUndefined();
  });

  it('a stale answer: cache.stale=true, and its background refresh is a child span in the same trace', async () => {
    const store = await newStore();
    const cache = await newCache<string>(store, { staleWindowMs: 60_000 });
    // An entry 1 s past its logical expiry, still inside the stale window.
    await store.redis.set(cache.keys(1).entry, encode('old', Date.now() - 1_000, 5), 'PX', 60_000);

    expect(await cache.get(1, countingLoader('new'))).toEqual({ value: 'old', result: 'stale' });
    await cache.settled();
    const read = recorder.spans('cache.get ')[0]!;
    expect(attrs(read)).toMatchObject({ 'cache.result': 'stale', 'cache.stale': true, 'cache.refresh.reason': 'stale' });
    const refresh = childrenOf(read).find((span) => span.name === 'cache.refresh')!;
    expect(attrs(refresh)).toMatchObject({ 'cache.result': 'refreshed', 'cache.refresh.reason': 'stale', 'cache.early_refresh': false });
    expect(traceOf(refresh)).toBe(traceOf(read));
    expect(childrenOf(refresh).some((span) => span.name === 'cache.origin.load')).toBe(true);
    expect(await cache.get(1, countingLoader('newer'))).toEqual({ value: 'new', result: 'hit' });
  });

  it('an XFetch early refresh: a hit with cache.early_refresh=true, and the refresh below it', async () => {
    const store = await newStore();
    const cache = await newCache<string>(store, { earlyRefreshBeta: 1 });
    // Fresh for 30 more seconds, but its last load "took" 10^9 ms: the roll refreshes it early
    // unless random() > e^-0.00003, i.e. practically always.
    await store.redis.set(cache.keys(1).entry, encode('cached', Date.now() + 30_000, 1e9), 'PX', 60_000);

    expect(await cache.get(1, countingLoader('recomputed'))).toEqual({ value: 'cached', result: 'hit' });
    await cache.settled();
    const read = recorder.spans('cache.get ')[0]!;
    expect(attrs(read)).toMatchObject({ 'cache.result': 'hit', 'cache.early_refresh': true, 'cache.refresh.reason': 'early' });
    const refresh = childrenOf(read).find((span) => span.name === 'cache.refresh')!;
    expect(attrs(refresh)).toMatchObject({ 'cache.result': 'refreshed', 'cache.early_refresh': true, 'cache.refresh.reason': 'early' });

    // A plain hit says nothing about refreshing.
    recorder.reset();
    const plain = await newCache<string>(store);
    await plain.get(2, countingLoader('v'));
    await plain.get(2, countingLoader('v'));
    const hit = recorder.spans('cache.get ').find((span) => attrs(span)['cache.result'] === 'hit')!;
    expect(attrs(hit)['cache.early_refresh']).toBeUndefined();
    expect(attrs(hit)['cache.refresh.reason']).toBeUndefined();
  });

  it('a degraded read names why it went around Redis: redis-unavailable, then breaker-open', async () => {
    const proxies = await ChaosRedis.forTestStack(testRedisConfig());
    chaos.push(proxies);
    const store = await productionStore(proxies.config);
    const cache = await newCache<string>(store);
    proxies.down();
    const load = countingLoader('from-db');
    await waitFor(
      async () => {
        expect((await cache.get(1, load)).result).toBe('bypass');
        return store.unavailable;
      },
      { what: 'the breaker to open' },
    );
    await cache.get(1, load);
    const reasons = recorder.spans('cache.get ').map((span) => attrs(span)['cache.bypass.reason']);
    expect(reasons[0]).toBe('redis-unavailable');
    expect(reasons.at(-1)).toBe('breaker-open');
    expect(recorder.spans('cache.get ').every((span) => attrs(span)['cache.result'] === 'bypass')).toBe(true);
  });

  it('read-through turned off: bypass with cache.bypass.reason=disabled', async () => {
    const reads = new ReadThrough<string>(await newStore(), uniqueName('ns'), { ttlMs: 60_000, load: async () => 'row', enabled: false });
    expect(await reads.get(1)).toEqual({ value: 'row', result: 'bypass' });
    expect(attrs(recorder.spans('cache.get ')[0])).toMatchObject({ 'cache.result': 'bypass', 'cache.bypass.reason': 'disabled' });
  });

  it('a near-cache follower: cache.single_flight=follower, linked to the leader\'s near-cache.get span', async () => {
    const near = await NearCache.create<string>(await newStore(), { name: uniqueName('near'), redis: testRedisConfig(), maxEntries: 100, ttlMs: 60_000, heartbeatMs: 250 });
    nearCaches.push(near);
    const database = gate();
    const leader = near.getOrLoad(1, async () => {
      await database.opened;
      return { value: 'v', result: 'miss' };
    });
    const follower = near.getOrLoad(1, async () => ({ value: 'never', result: 'miss' }));
    database.open();
    expect(await follower).toEqual({ value: 'v', result: 'coalesced', near: 'miss' });
    expect(await leader).toEqual({ value: 'v', result: 'miss', near: 'miss' });
    expect(await near.getOrLoad(1, async () => ({ value: 'never', result: 'miss' }))).toMatchObject({ near: 'hit' });

    const spans = recorder.spans('near-cache.get');
    const leaderSpan = spans.find((span) => attrs(span)['cache.inner_result'] === 'miss')!;
    const followerSpan = spans.find((span) => attrs(span)['cache.inner_result'] === 'coalesced')!;
    expect(attrs(followerSpan)).toMatchObject({ 'cache.single_flight': 'follower', 'cache.leader.span_id': idOf(leaderSpan) });
    expect(followerSpan.links.map((link) => link.context.spanId)).toEqual([idOf(leaderSpan)]);
    expect(leaderSpan.links).toHaveLength(0);
    expect(spans.filter((span) => attrs(span)['cache.result'] === 'hit')).toHaveLength(1);
  });
});

describe('span attributes of the write paths', () => {
  it('a tag invalidation names its tag and its result', async () => {
    const store = await newStore();
    const tags = new TagIndex(store, { namespace: uniqueName('tag'), ttlMs: 60_000 });
    const tag = uniqueName('brand');
    await store.redis.set(`${tag}-entry`, 'x');
    await tags.add(`${tag}-entry`, [tag]);
    await tags.invalidate(tag);
    expect(attrs(recorder.spans('cache.tag.invalidate')[0])).toMatchObject({
      'cache.pattern': 'tag-invalidation',
      'cache.tag': tag,
      'cache.result': 'invalidated',
      'cache.tag.removed': 1,
      'cache.tag.done': true,
    });
  });
});
