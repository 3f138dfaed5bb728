import { ChaosRedis, testRedisConfig, uniqueName, waitFor } from '@cachelab/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { DeferredOps, type DeferredOp, type DeferredOpsOptions } from '../src/deferred-ops';
import type { CacheStore } from '../src/store';
import { newStore, productionStore } from './helpers';

/** Deferred SETs of real keys: what landed can be read back from Redis. */
function deferredSets(store: CacheStore, options: Partial<DeferredOpsOptions<string>> = {}) {
  const calls: { at: number; ended: number; keys: string[] }[] = [];
  const ops = new DeferredOps<string>({
    op: 'test-set',
    pattern: 'test',
    firstRetryMs: 20,
    maxRetryMs: 400,
    run: async (batch: ReadonlyArray<DeferredOp<string>>) => {
      const call = { at: performance.now(), ended: Number.NaN, keys: batch.map((op) => op.key) };
      calls.push(call);
      try {
        await store.run((redis) => Promise.all(batch.map((op) => redis.set(op.key, op.value))));
      } finally {
        call.ended = performance.now();
      }
    },
    ...options,
  });
  return { ops, calls };
}

describe('deferred Redis operations', () => {
  const chaos: ChaosRedis[] = [];
  const opened: DeferredOps<string>[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((ops) => ops.stop()));
    await Promise.all(chaos.splice(0).map((proxies) => proxies.close()));
  });

  async function cutOff() {
    const proxies = await ChaosRedis.forTestStack(testRedisConfig());
    chaos.push(proxies);
    const store = await productionStore(proxies.config);
    return { proxies, store };
  }

  it('an operation deferred while Redis is cut off lands once it is back, and is pending until then', async () => {
    const { proxies, store } = await cutOff();
    const reader = await newStore();
    const { ops } = deferredSets(store);
    opened.push(ops);
    const key = `${uniqueName('deferred')}:a`;

    proxies.down();
    ops.defer(key, 'v1', 60_000);
    expect(ops.has(key)).toBe(true);
    await waitFor(() => ops.pending()[0]!.attempts >= 2, { what: 'two failed retries' });
    expect(ops.has(key)).toBe(true);
    expect(await reader.redis.get(key)).toBeNull();

    proxies.up();
    await waitFor(() => !ops.has(key), { what: 'the deferred SET to land' });
    expect(await reader.redis.get(key)).toBe('v1');
    expect(ops.size).toBe(0);
  });

  it('deferring a pending key again keeps one operation, merged', async () => {
    const { proxies, store } = await cutOff();
    const reader = await newStore();
    const { ops, calls } = deferredSets(store, { merge: (pending, next) => `${pending}+${next}` });
    opened.push(ops);
    const key = `${uniqueName('deferred')}:a`;

    proxies.down();
    ops.defer(key, 'a', 60_000);
    ops.defer(key, 'b', 60_000);
    expect(ops.size).toBe(1);
    proxies.up();
    // The breaker may still be open for a moment after the network is back.
    await waitFor(() => ops.flush(), { what: 'the merged operation to land' });
    expect(await reader.redis.get(key)).toBe('a+b');
    expect(calls.at(-1)!.keys).toEqual([key]);
  });

  it('backs off: the gaps between retries grow', async () => {
    const { proxies, store } = await cutOff();
    const { ops, calls } = deferredSets(store, { firstRetryMs: 20, maxRetryMs: 2_000 });
    opened.push(ops);
    proxies.down();
    ops.defer(`${uniqueName('deferred')}:a`, 'v', 60_000);
    await waitFor(() => calls.length >= 5 && !Number.isNaN(calls[4]!.ended), { what: 'five retries' });
    // From the end of one try to the start of the next (a try itself may wait for a command timeout).
    const gaps = calls.slice(1, 5).map((call, i) => call.at - calls[i]!.ended);
    // Doubling with +-20 % jitter: each gap is at least 2 x 0.8 / 1.2 = 1.33 times the one before.
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]! * 1.2);
  });

  it('while Redis is unreachable, a pass stops at the first failure instead of trying every operation', async () => {
    const { proxies, store } = await cutOff();
    const { ops, calls } = deferredSets(store);
    opened.push(ops);
    const name = uniqueName('deferred');
    proxies.down();
    for (let i = 0; i < 50; i++) ops.defer(`${name}:${i}`, 'v', 60_000);
    await waitFor(() => ops.pending().every((op) => op.attempts >= 2), { what: 'every operation to be retried twice' });
    expect(calls.length).toBeLessThan(50);

    proxies.up();
    await waitFor(() => ops.size === 0, { what: 'all 50 to land' });
  });

  it('an operation Redis refuses backs off alone: it does not hold up the others', async () => {
    const store = await newStore();
    const name = uniqueName('deferred');
    const poisoned = `${name}:poisoned`;
    await store.redis.hset(poisoned, 'a', '1'); // INCR on a hash: WRONGTYPE, every time
    const ops = new DeferredOps<string>({
      op: 'test-incr',
      pattern: 'test',
      firstRetryMs: 20,
      run: async ([op]) => void (await store.run((redis) => redis.incr(op!.key))),
    });
    opened.push(ops as DeferredOps<string>);
    ops.defer(poisoned, '', 60_000);
    for (let i = 0; i < 5; i++) ops.defer(`${name}:${i}`, '', 60_000);

    await waitFor(() => ops.size === 1, { what: 'the five good ones to land' });
    expect(await store.redis.get(`${name}:4`)).toBe('1');
    expect(ops.has(poisoned)).toBe(true);
    await waitFor(() => ops.pending()[0]!.attempts >= 2, { what: 'the poisoned one to be retried' });
  });

  it('drops an operation past its lifetime untried, and the oldest one beyond maxPending', async () => {
    const { proxies, store } = await cutOff();
    const { ops } = deferredSets(store, { maxPending: 3 });
    opened.push(ops);
    const name = uniqueName('deferred');
    proxies.down();
    ops.defer(`${name}:short`, 'v', 150);
    await waitFor(() => !ops.has(`${name}:short`), { what: 'the short-lived operation to expire' });
    expect(ops.size).toBe(0);

    for (const id of ['1', '2', '3', '4']) ops.defer(`${name}:${id}`, 'v', 60_000);
    expect(ops.size).toBe(3);
    expect(ops.has(`${name}:1`)).toBe(false);
    expect(ops.has(`${name}:4`)).toBe(true);
  });

  it('stop() ends the retries', async () => {
    const { proxies, store } = await cutOff();
    const { ops, calls } = deferredSets(store);
    proxies.down();
    ops.defer(`${uniqueName('deferred')}:a`, 'v', 60_000);
    await waitFor(() => calls.length >= 1, { what: 'a first retry' });
    await ops.stop();
    const after = calls.length;
    proxies.up();
    ops.defer(`${uniqueName('deferred')}:b`, 'v', 60_000); // ignored once stopped
    expect(ops.size).toBe(0);
    expect(await ops.flush()).toBe(true);
    expect(calls.length).toBe(after);
  });
});
