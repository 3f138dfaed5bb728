import { uniqueName } from '@cachelab/testing';
import { describe, expect, it } from 'vitest';
import { CacheAside } from '../src/cache-aside';
import { countingLoader, gate, newStore } from './helpers';

/** Two "instances": separate connections, separate single-flight maps, one Redis. */
async function twoInstances(namespace: string, options: { waitTimeoutMs?: number; lockTtlMs?: number } = {}) {
  const make = async () => new CacheAside<string>(await newStore(), { namespace, kind: 'profile', ttlMs: 60_000, ...options });
  return [await make(), await make()] as const;
}

describe('stampede protection', () => {
  it.each([100, 1_000, 5_000])('%i concurrent reads of a cold key over two instances load once', async (n) => {
    const [a, b] = await twoInstances(uniqueName('stampede'));
    const database = gate();
    const load = async () => {
      load.calls += 1;
      await database.opened; // keep the load in flight until every request has arrived
      return 'value';
    };
    load.calls = 0;

    const reads = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? a : b).get(1, load));
    database.open();
    const results = await Promise.all(reads);

    expect(load.calls).toBe(1);
    expect(results.every((read) => read.value === 'value')).toBe(true);
    expect(results.filter((read) => read.result === 'miss')).toHaveLength(1);
    // The others waited for that load, or (a connection slower to answer its lookup) found its
    // value already written: either way without a load of their own.
    expect(results.filter((read) => read.result === 'coalesced' || read.result === 'hit')).toHaveLength(n - 1);
  });

  it('waiters fall back to the database when the lease owner never delivers', async () => {
    const [a, b] = await twoInstances(uniqueName('stampede'), { waitTimeoutMs: 300, lockTtlMs: 10_000 });
    // A lease taken by an owner that died before writing anything.
    await b['store'].redis.set(a.keys(1).lock, 'dead-owner', 'PX', 10_000);

    const load = countingLoader('value');
    const results = await Promise.all(Array.from({ length: 50 }, () => a.get(1, load)));
    expect(results.every((read) => read.value === 'value')).toBe(true);
    expect(load.calls).toBe(1); // single flight still holds inside the instance
  });

  it('a waiter takes over as soon as the owner releases without a value', async () => {
    const [a, b] = await twoInstances(uniqueName('stampede'), { waitTimeoutMs: 10_000 });
    const ownerLoading = gate();
    const ownerMayFinish = gate();
    const owner = a.get(1, async () => {
      ownerLoading.open();
      await ownerMayFinish.opened;
      return 'owner';
    });
    await ownerLoading.opened;
    await a.invalidate(1); // the owner's write-back will now be refused

    const waiterLoad = countingLoader('waiter');
    const waiter = b.get(1, waiterLoad);
    ownerMayFinish.open();

    expect((await owner).value).toBe('owner');
    expect(await waiter).toEqual({ value: 'waiter', result: 'miss' });
    expect(waiterLoad.calls).toBe(1);
  });

  it('a request whose lookup missed just before another loader finished does not load again', async () => {
    const [a, b] = await twoInstances(uniqueName('stampede'));
    await b.get(1, countingLoader('loaded-by-b')); // b filled the entry after a's lookup missed...
    const late = countingLoader('loaded-by-a');
    // ...so a, now taking the free lease, must find the entry instead of querying again.
    const read = await a['stampede'].fill(a.keys(1), '0', late);
    expect(read).toMatchObject({ value: 'loaded-by-b', result: 'coalesced' });
    expect(late.calls).toBe(0);
  });
});
