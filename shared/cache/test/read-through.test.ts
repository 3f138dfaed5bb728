import { uniqueName } from '@cachelab/testing';
import { describe, expect, it } from 'vitest';
import { ReadThroughCache } from '../src/read-through';
import { gate, newStore } from './helpers';

/** A "table" whose reads the loader counts, like the origin query counter of a service. */
function table(rows: Record<number, string>) {
  const db = {
    queries: 0,
    async find(id: number): Promise<string | null> {
      db.queries += 1;
      return rows[id] ?? null;
    },
  };
  return db;
}

describe('read-through (the cache owns the loader)', () => {
  it('loads through the registered loader on a miss, then answers from Redis', async () => {
    const cache = new ReadThroughCache(await newStore());
    const db = table({ 1: 'one' });
    const products = cache.register(uniqueName('rt'), { kind: 'row', ttlMs: 60_000, load: (id: number) => db.find(id) });

    expect(await products.get(1)).toEqual({ value: 'one', result: 'miss' });
    expect(await products.get(1)).toEqual({ value: 'one', result: 'hit' });
    expect(db.queries).toBe(1);
  });

  it('is reachable by namespace name, and a namespace has exactly one loader', async () => {
    const cache = new ReadThroughCache(await newStore());
    const namespace = uniqueName('rt');
    cache.register(namespace, { ttlMs: 60_000, load: async (sku: string) => `product ${sku}` });

    expect(await cache.get(namespace, 'SKU-7')).toEqual({ value: 'product SKU-7', result: 'miss' });
    expect(() => cache.register(namespace, { ttlMs: 1_000, load: async () => 'other' })).toThrow(/already registered/);
    expect(() => cache.namespace('nothing-here')).toThrow(/no read-through loader/);
  });

  it('caches "not found" as a tombstone when negative caching is on', async () => {
    const cache = new ReadThroughCache(await newStore());
    const db = table({});
    const products = cache.register(uniqueName('rt'), { ttlMs: 60_000, negativeTtlMs: 5_000, load: (id: number) => db.find(id) });

    expect(await products.get(404)).toEqual({ value: null, result: 'miss' });
    expect(await products.get(404)).toEqual({ value: null, result: 'negative' });
    expect(db.queries).toBe(1);
  });

  it('applies the library stampede protection: 500 concurrent cold reads, one query', async () => {
    const cache = new ReadThroughCache(await newStore());
    const slow = gate();
    let queries = 0;
    const products = cache.register(uniqueName('rt'), {
      ttlMs: 60_000,
      load: async (id: number) => {
        queries += 1;
        await slow.opened;
        return `row ${id}`;
      },
    });

    const reads = Array.from({ length: 500 }, () => products.get(9));
    slow.open();
    const results = await Promise.all(reads);

    expect(queries).toBe(1);
    expect(results.every((read) => read.value === 'row 9')).toBe(true);
    expect(results.filter((read) => read.result === 'miss')).toHaveLength(1);
  });

  it('disabled, every read goes to the loader and says bypass (the benchmark baseline)', async () => {
    const cache = new ReadThroughCache(await newStore());
    const db = table({ 3: 'three' });
    const products = cache.register(uniqueName('rt'), { ttlMs: 60_000, enabled: false, load: (id: number) => db.find(id) });

    expect(await products.get(3)).toEqual({ value: 'three', result: 'bypass' });
    expect(await products.get(3)).toEqual({ value: 'three', result: 'bypass' });
    expect(db.queries).toBe(2);
  });
});
