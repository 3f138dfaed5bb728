import { closeRedis, createRedis, waitForReady, type RedisClient } from '@cachelab/redis';
import { readCounter } from '@cachelab/telemetry';
import { testRedisConfig } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCategory, freshSku, sql } from './helpers/db';
import { createProduct, keysOf } from './support/catalog-api';
import { filePrefix } from './support/catalog-service';
import { call } from './support/http';
import { spawnCatalogService, type ServiceProcess } from './support/service-process';

// Two real processes: read-through's loader and its stampede protection across instances.
let a: ServiceProcess;
let b: ServiceProcess;
let categoryId: number;
let redis: RedisClient;
let keys: ReturnType<typeof keysOf>;
beforeAll(async () => {
  const prefix = filePrefix();
  keys = keysOf(prefix);
  redis = createRedis(testRedisConfig(), { commandTimeoutMs: 5_000 });
  await waitForReady(redis); // a cache connection has no offline queue
  // A burst of hundreds of requests on a busy 2-core machine can hold a command past the default
  // 500 ms timeout; the breaker would then open and send reads around the cache.
  const env = { CACHE_KEY_PREFIX: prefix, REDIS_COMMAND_TIMEOUT_MS: '3000' };
  [a, b] = await Promise.all([spawnCatalogService(env), spawnCatalogService(env)]);
  categoryId = await createCategory();
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await closeRedis(redis);
});

const origin = async (operation: string) => (await a.originQueries(operation)) + (await b.originQueries(operation));

/** A product the Redis-level cache does not hold: created (so the Bloom filter knows it), entry dropped. */
async function productBehindTheCache(): Promise<{ id: number; sku: string }> {
  const created = await createProduct(a.url, { categoryId, name: 'Cold' });
  await redis.del(keys.product(created.id)); // write-through cached it; start cold
  return { id: created.id, sku: created.sku };
}

describe('GET /products/:id (read-through)', () => {
  it('goes to the database once through the registered loader, then answers from Redis', async () => {
    const { id } = await productBehindTheCache();
    const before = await origin('product.find');

    const first = await call(`${a.url}/products/${id}`);
    const second = await call(`${b.url}/products/${id}`);
    expect([first.status, first.cache, first.body.name]).toEqual([200, 'miss', 'Cold']);
    expect([second.status, second.cache]).toEqual([200, 'hit']);
    expect(second.body).toEqual(first.body);
    expect((await origin('product.find')) - before).toBe(1);
  });

  it('300 concurrent cold reads over two instances reach the database once (stampede protection)', async () => {
    const { id } = await productBehindTheCache();
    const before = await origin('product.find');

    const replies = await Promise.all(Array.from({ length: 300 }, (_, i) => call(`${(i % 2 ? a : b).url}/products/${id}`)));

    expect(replies.every((reply) => reply.status === 200 && reply.body.id === id)).toBe(true);
    const results = replies.reduce<Record<string, number>>((counts, reply) => ({ ...counts, [reply.cache!]: (counts[reply.cache!] ?? 0) + 1 }), {});
    expect((await origin('product.find')) - before, `x-cache: ${JSON.stringify(results)}`).toBe(1);
    expect(replies.filter((reply) => reply.cache === 'miss')).toHaveLength(1);
    expect(replies.every((reply) => ['miss', 'coalesced', 'hit'].includes(reply.cache!))).toBe(true);
  });

  it('caches "no such product" (negative caching) for ids the Bloom filter cannot rule out', async () => {
    const { id } = await productBehindTheCache();
    await sql(`DELETE FROM "Product" WHERE id = $1`, [id]); // gone behind the service's back: the filter still says "maybe"
    const before = await origin('product.find');
    expect(await call(`${a.url}/products/${id}`)).toMatchObject({ status: 404, cache: 'miss' });
    expect(await call(`${b.url}/products/${id}`)).toMatchObject({ status: 404, cache: 'negative' });
    expect((await origin('product.find')) - before).toBe(1);
  });

  it('counts reads that reach Redis in cachelab_cache_requests_total{pattern="read-through"}', async () => {
    const { id } = await productBehindTheCache();
    const hits = async () => readCounter(await (await fetch(`${b.url}/metrics`)).text(), 'cachelab_cache_requests_total', { pattern: 'read-through', result: 'hit' });
    await call(`${a.url}/products/${id}`); // fills Redis
    const before = await hits();
    const read = await call(`${b.url}/products/${id}`); // b's near cache misses, Redis hits
    expect([read.cache, read.headers.get('x-near-cache')]).toEqual(['hit', 'miss']);
    expect(await hits()).toBe(before + 1);
  });
});

describe('GET /products/by-sku/:sku (read-through, for the inventory service)', () => {
  it('resolves the SKU through its own cached entry, then the product entry', async () => {
    const { id, sku } = await productBehindTheCache();
    await redis.del(keys.sku(sku));
    const before = await origin('product.find-by-sku');

    const first = await call(`${a.url}/products/by-sku/${sku}`);
    expect([first.status, first.cache, first.body.id]).toEqual([200, 'miss', id]);
    const second = await call(`${b.url}/products/by-sku/${sku}`);
    expect([second.status, second.cache, second.body.id]).toEqual([200, 'hit', id]);
    expect((await origin('product.find-by-sku')) - before).toBe(1);
  });

  it('an unknown SKU is a cached 404, and creating it clears that at once', async () => {
    const sku = freshSku('LATER');
    expect(await call(`${a.url}/products/by-sku/${sku}`)).toMatchObject({ status: 404, cache: 'miss' });
    expect(await call(`${a.url}/products/by-sku/${sku}`)).toMatchObject({ status: 404, cache: 'negative' });

    const created = await createProduct(b.url, { sku, categoryId });
    const found = await call(`${a.url}/products/by-sku/${sku}`);
    expect([found.status, found.body.id]).toEqual([200, created.id]);
  });

  it('a deleted product is not found by its SKU any more', async () => {
    const created = await createProduct(a.url, { categoryId });
    expect((await call(`${b.url}/products/by-sku/${created.sku}`)).status).toBe(200);
    expect((await call(`${a.url}/products/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`${b.url}/products/by-sku/${created.sku}`)).status).toBe(404);
  });
});
