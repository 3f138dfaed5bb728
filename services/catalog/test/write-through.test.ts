import { decode } from '@cachelab/cache';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCategory } from './helpers/db';
import { createProduct, keysOf, patchProduct, type Product } from './support/catalog-api';
import { filePrefix, startCatalogService, type RunningService } from './support/catalog-service';
import { call } from './support/http';

// Two instances in this process, sharing Redis and Postgres like two replicas behind a balancer.
let a: RunningService;
let b: RunningService;
let prefix: string;
let categoryId: number;
beforeAll(async () => {
  prefix = filePrefix();
  [a, b] = await Promise.all([startCatalogService({ CACHE_KEY_PREFIX: prefix }), startCatalogService({ CACHE_KEY_PREFIX: prefix })]);
  categoryId = await createCategory();
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

describe('write-through', () => {
  it('a created product is cached by the write: the first read is a hit', async () => {
    const product = await createProduct(a.url, { categoryId, name: 'Fresh' });
    const read = await call(`${b.url}/products/${product.id}`);
    expect([read.status, read.cache, read.body]).toEqual([200, 'hit', product]);
  });

  it('PATCH answers after the cache holds the new row: the next read anywhere is a hit with it', async () => {
    const product = await createProduct(a.url, { categoryId, priceCents: 100 });
    const patched = await patchProduct(a.url, product.id, { priceCents: 250 });
    expect(patched.version).toBe(product.version + 1);
    const read = await call(`${b.url}/products/${product.id}`);
    expect([read.cache, read.body]).toEqual(['hit', patched]);
  });

  it('DELETE writes "not found" through', async () => {
    const product = await createProduct(a.url, { categoryId });
    expect((await call(`${a.url}/products/${product.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await call(`${b.url}/products/${product.id}`)).toMatchObject({ status: 404, cache: 'negative' });
  });

  it('under concurrent writers and readers, no read started after an acknowledged write returns an older row', async () => {
    const product = await createProduct(a.url, { categoryId, priceCents: 0 });
    let acknowledged = product.version; // the highest version a PATCH response has returned so far
    const violations: string[] = [];
    let writing = true;

    const writer = async (instance: RunningService, n: number) => {
      for (let i = 0; i < n; i++) {
        const reply = await call<Product>(`${instance.url}/products/${product.id}`, { method: 'PATCH', json: { priceCents: i + 1 } });
        expect(reply.status).toBe(200);
        acknowledged = Math.max(acknowledged, reply.body.version);
      }
    };
    const reader = async (instance: RunningService) => {
      let reads = 0;
      while (writing || reads === 0) {
        const floor = acknowledged; // acknowledged before this read was sent
        const reply = await call<Product>(`${instance.url}/products/${product.id}`);
        reads += 1;
        if (reply.status !== 200 || reply.body.version < floor) {
          violations.push(`read ${reply.status} version ${reply.body?.version} (${reply.cache}) after version ${floor} was acknowledged`);
        }
      }
      return reads;
    };

    const readers = [a, b, a, b].map(reader);
    await Promise.all([writer(a, 25), writer(b, 25), writer(a, 25), writer(b, 25)]);
    writing = false;
    const reads = await Promise.all(readers);

    expect(violations).toEqual([]);
    expect(reads.reduce((sum, n) => sum + n, 0)).toBeGreaterThan(20);
    // At rest the cache holds exactly the last committed row.
    const [row] = await a.service.prisma.$queryRaw<{ version: number }[]>`SELECT version FROM "Product" WHERE id = ${product.id}`;
    expect(row!.version).toBe(product.version + 100);
    const cached = decode<Product>(await a.service.caches.store.redis.get(keysOf(prefix).product(product.id)));
    expect(cached).toMatchObject({ kind: 'value', value: { version: row!.version } });
    expect((await call(`${b.url}/products/${product.id}`)).body.version).toBe(row!.version);
  });
});
