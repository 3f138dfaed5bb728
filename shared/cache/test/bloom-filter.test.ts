import { metricsText, readCounter } from '@cachelab/telemetry';
import { ChaosRedis, testRedisConfig, testRedisMode, uniqueName, waitFor } from '@cachelab/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { detectBloomBackend } from '../src/bloom-backend';
import { BloomFilter, type BloomFilterOptions } from '../src/bloom-filter';
import { bloomParameters, MAX_BITMAP_BITS } from '../src/bloom-math';
import type { CacheStore } from '../src/store';
import { gate, newStore, productionStore } from './helpers';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A database table of ids, read in pages the way a rebuild reads it. */
function* pages(ids: readonly number[], size = 5_000) {
  for (let i = 0; i < ids.length; i += size) yield ids.slice(i, i + size);
}

describe('Bloom filter sizing', () => {
  it('derives m and k from n and p', () => {
    expect(bloomParameters(1_000_000, 0.01)).toEqual({ bits: 9_585_059, hashes: 7, bytes: 1_198_133 });
    expect(bloomParameters(50_000, 0.001)).toMatchObject({ hashes: 10 });
  });

  it('refuses a filter that would not fit in one Redis bitmap (512 MB)', () => {
    expect(() => bloomParameters(400_000_000, 0.000_001)).toThrow(RangeError);
    expect(bloomParameters(400_000_000, 0.01).bits).toBeLessThanOrEqual(MAX_BITMAP_BITS);
    expect(() => bloomParameters(0, 0.01)).toThrow(RangeError);
    expect(() => bloomParameters(10, 1)).toThrow(RangeError);
  });
});

describe('Bloom filter', () => {
  const filters: BloomFilter[] = [];
  let chaos: ChaosRedis | undefined;
  afterEach(async () => {
    await chaos?.close();
    chaos = undefined;
    const cleanup = await newStore();
    for (const made of filters.splice(0)) {
      made.close();
      const keys = ['bits', 'meta', 'next', 'next-meta'].map((kind) => made.key.replace(/:bits$/, `:${kind}`));
      await cleanup.redis.del(...keys); // one hash tag: one slot, one DEL
    }
  });

  function filter(store: CacheStore, options: Partial<BloomFilterOptions> & { name: string }): BloomFilter {
    const made = BloomFilter.create(store, { expectedItems: 10_000, falsePositiveRate: 0.01, ...options });
    filters.push(made);
    return made;
  }

  it('has no false negatives over 50,000 ids, and a false-positive rate within 2x of the configured one', async () => {
    const store = await newStore();
    const products = filter(store, { name: uniqueName('bloom'), expectedItems: 50_000, falsePositiveRate: 0.01 });
    const ids = range(1, 50_000);
    expect(await products.rebuild(() => pages(ids))).toMatchObject({ outcome: 'rebuilt', items: 50_000 });

    const answers = await products.mightContainMany(ids);
    expect(answers.filter((maybe) => !maybe)).toHaveLength(0);
    for (const id of range(1, 200)) expect(await products.mightContain(id)).toBe(true);

    const report = await products.measureFalsePositiveRate(50_000);
    const stats = (await products.stats())!;
    console.info(
      `[bloom ${testRedisMode()}] n=50000 p=0.01: m=${stats.bits} bits, k=${stats.hashes}, ${stats.bytes} bytes in Redis, ` +
        `measured FP ${(report.measured * 100).toFixed(3)} % (${report.falsePositives}/${report.sampleSize}), expected ${(report.expected * 100).toFixed(3)} %`,
    );
    expect(report.measured).toBeLessThan(0.02);
    expect(report.measured).toBeGreaterThan(0.005); // far below would mean the probes never reached the bits
    expect(stats).toMatchObject({ backend: 'bitmap', bits: 479_253, hashes: 7, bytes: 59_907 });
    expect(stats.inserted).toBeGreaterThan(49_500); // ids that set no new bit are not counted
  });

  it('answers "no" for ids never added without reaching for anything else, and counts it', async () => {
    const store = await newStore();
    const products = filter(store, { name: uniqueName('bloom'), falsePositiveRate: 0.0001 });
    await products.rebuild(() => pages(range(1, 1_000)));
    const before = readCounter(await metricsText(), 'cachelab_cache_requests_total', { pattern: 'bloom-filter', result: 'negative' });
    expect(await products.check(1_000_001)).toEqual({ maybe: false, result: 'negative' });
    expect(await products.check(7)).toEqual({ maybe: true, result: 'miss' });
    expect(readCounter(await metricsText(), 'cachelab_cache_requests_total', { pattern: 'bloom-filter', result: 'negative' })).toBe(before + 1);
  });

  it('fails open: answers "maybe", never "no", while Redis is unreachable', async () => {
    chaos = await ChaosRedis.forTestStack(testRedisConfig());
    const store = await productionStore(chaos.config);
    const products = filter(store, { name: uniqueName('bloom'), falsePositiveRate: 0.0001 });
    await products.rebuild(() => pages(range(1, 1_000)));
    expect(await products.mightContain(5_000)).toBe(false);

    chaos.down();
    const started = performance.now();
    for (let i = 0; i < 20; i++) expect(await products.check(5_000)).toEqual({ maybe: true, result: 'bypass' });
    expect(await products.mightContainMany([5_000, 5_001])).toEqual([true, true]);
    expect(store.breaker.state).toBe('open');
    expect(performance.now() - started).toBeLessThan(5_000); // the breaker spares every call a timeout

    chaos.up();
    await waitFor(async () => (await products.check(5_000)).result === 'negative', { what: 'the filter to answer again' });
  });

  it('answers "maybe" while the filter has never been built, and builds it itself when it has a source', async () => {
    const store = await newStore();
    const products = filter(store, { name: uniqueName('bloom'), falsePositiveRate: 0.0001, source: () => pages(range(1, 1_000)) });
    expect(await products.stats()).toBeNull();
    expect(await products.check(5_000)).toEqual({ maybe: true, result: 'bypass' }); // and starts a rebuild
    await waitFor(async () => (await products.check(5_000)).result === 'negative', { what: 'the self-healing rebuild' });
    expect(await products.mightContain(1_000)).toBe(true);
  });

  it('does not read a lost bitmap as "nothing exists"', async () => {
    const store = await newStore();
    const products = filter(store, { name: uniqueName('bloom'), falsePositiveRate: 0.0001 });
    await products.rebuild(() => pages(range(1, 1_000)));
    await store.redis.del(products.key); // evicted, say, while its parameters remain
    expect(await products.check(1)).toEqual({ maybe: true, result: 'bypass' });
    expect(await products.check(5_000)).toEqual({ maybe: true, result: 'bypass' });
  });

  it('reports an add that cannot reach Redis as failed: retrying it is the durable backlog\'s job, not this process\'s', async () => {
    // Failed adds used to be kept in one process's memory: lost with the process, and every other
    // instance answered "absent" meanwhile. BloomCoverage's outbox replaces that (bloom-coverage.test.ts).
    chaos = await ChaosRedis.forTestStack(testRedisConfig());
    const writer = filter(await productionStore(chaos.config), { name: uniqueName('bloom'), falsePositiveRate: 0.0001 });
    await writer.rebuild(() => pages(range(1, 1_000)));

    chaos.down();
    expect(await writer.add(2_000)).toBe('failed');
    expect(await writer.check(2_000)).toEqual({ maybe: true, result: 'bypass' });
    expect(readCounter(await metricsText(), 'cachelab_cache_write_failures_total', { pattern: 'bloom-filter' })).toBeGreaterThanOrEqual(1);
  });

  it('keeps every id when two instances add concurrently', async () => {
    const name = uniqueName('bloom');
    const a = filter(await newStore(), { name, expectedItems: 20_000 });
    const b = filter(await newStore(), { name, expectedItems: 20_000 });
    await a.rebuild(() => []);
    const evens = range(0, 9_999).map((i) => 2 * i);
    const odds = evens.map((i) => i + 1);
    // Two services creating products at once: their small writes interleave on the server.
    const addAll = async (instance: BloomFilter, ids: number[]) => {
      const outcomes = [];
      for (const batch of pages(ids, 50)) outcomes.push(await instance.addMany(batch));
      return outcomes;
    };
    const outcomes = (await Promise.all([addAll(a, evens), addAll(b, odds)])).flat();
    expect(new Set(outcomes)).toEqual(new Set(['added']));

    const all = [...evens, ...odds];
    expect((await a.mightContainMany(all)).every(Boolean)).toBe(true);
    expect((await b.mightContainMany(all)).every(Boolean)).toBe(true);
    // Real answers, not a filter that says "maybe" to everything: ids never added are mostly "no".
    expect((await a.mightContainMany(range(100_000, 100_999))).filter(Boolean).length).toBeLessThan(50);
    expect((await a.stats())!.inserted).toBeGreaterThan(19_900);
  });

  it('rebuilds into a new key and swaps it in atomically, keeping ids added meanwhile', async () => {
    const name = uniqueName('bloom');
    const a = filter(await newStore(), { name, falsePositiveRate: 0.0001 });
    const b = filter(await newStore(), { name, falsePositiveRate: 0.0001 });
    await a.rebuild(() => pages(range(1, 1_000)));

    // Product 13 is deleted; product 5_000 is created while the rebuild reads the table.
    const table = range(1, 1_000).filter((id) => id !== 13);
    const firstPageRead = gate();
    const created = gate();
    async function* slowTable() {
      yield table.slice(0, 500);
      firstPageRead.open();
      await created.opened;
      yield table.slice(500);
    }
    const rebuilding = a.rebuild(slowTable);
    await firstPageRead.opened;
    expect(await b.rebuild(() => pages(table))).toMatchObject({ outcome: 'already-running' });
    expect(await b.mightContain(13)).toBe(true); // the live filter still answers, unchanged
    expect(await b.add(5_000)).toBe('added'); // goes to the live filter and to the one being built
    created.open();
    expect(await rebuilding).toMatchObject({ outcome: 'rebuilt', items: 999 });

    expect(await b.mightContain(5_000)).toBe(true);
    expect(await b.mightContain(13)).toBe(false); // deleted ids go away only with a rebuild
    expect((await b.mightContainMany(table)).every(Boolean)).toBe(true);
    const keys = await store(b).redis.exists(`bloom:{${name}}:next`, `bloom:{${name}}:next-meta`);
    expect(keys).toBe(0);
  });

  it('leaves the live filter in place when a rebuild fails, and lets the next one start', async () => {
    const store = await newStore();
    const products = filter(store, { name: uniqueName('bloom'), falsePositiveRate: 0.0001 });
    await products.rebuild(() => pages(range(1, 1_000)));
    async function* failingTable() {
      yield range(1, 100);
      throw new Error('database went away');
    }
    await expect(products.rebuild(failingTable)).rejects.toThrow('database went away');
    expect(await products.mightContain(500)).toBe(true);
    expect(await products.rebuild(() => pages(range(1, 10)))).toMatchObject({ outcome: 'rebuilt' });
    expect(await products.mightContain(500)).toBe(false);
  });

  it('ensureBuilt rebuilds only when the filter is missing, sized differently, or too old', async () => {
    const name = uniqueName('bloom');
    const store = await newStore();
    const source = () => pages(range(1, 100));
    const products = filter(store, { name, source });
    expect((await products.ensureBuilt()).outcome).toBe('rebuilt');
    expect((await products.ensureBuilt()).outcome).toBe('present');
    expect((await products.ensureBuilt(source, { maxAgeMs: 0 })).outcome).toBe('rebuilt');
    const bigger = filter(store, { name, source, expectedItems: 20_000 });
    expect((await bigger.ensureBuilt()).outcome).toBe('rebuilt');
    expect((await products.stats())!.capacity).toBe(20_000); // every instance now reads the new parameters
  });

  it('uses the Lua bitmap on a server without RedisBloom, with every key in one hash tag', async () => {
    const store = await newStore();
    expect(await detectBloomBackend(store)).toBe('bitmap');
    const name = uniqueName('bloom');
    const products = filter(store, { name });
    expect(products.key).toBe(`bloom:{${name}}:bits`);
    if (testRedisMode() === 'cluster') {
      const keys = ['bits', 'meta', 'next', 'next-meta'].map((kind) => `bloom:{${name}}:${kind}`);
      const slots = await Promise.all(keys.map((key) => store.redis.call('CLUSTER', 'KEYSLOT', key)));
      expect(new Set(slots).size).toBe(1);
    }
  });
});

const store = (filter: BloomFilter): CacheStore => filter['store'];
