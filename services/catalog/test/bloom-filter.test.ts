import { closeRedis, createRedis, waitForReady, type RedisClient } from '@cachelab/redis';
import { testRedisConfig, waitFor } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCategory, freshSku, sql } from './helpers/db';
import { createProduct, keysOf } from './support/catalog-api';
import { filePrefix, startCatalogService, type RunningService } from './support/catalog-service';
import { call } from './support/http';

let a: RunningService;
let b: RunningService;
let redis: RedisClient;
let keys: ReturnType<typeof keysOf>;
let categoryId: number;
beforeAll(async () => {
  const prefix = filePrefix();
  keys = keysOf(prefix);
  // At least 1,000 products (a fresh test database has only what earlier files created), and a
  // filter sized for exactly the products there are: the measured false-positive rate is then
  // the one at capacity.
  const fillCategory = await createCategory('Bloom fill');
  await sql(
    `INSERT INTO "Product" (sku, name, "priceCents", "categoryId", "updatedAt")
     SELECT $1 || g, 'Bloom fill ' || g, 100, $2, now()
       FROM generate_series(1, GREATEST(0, 1000 - (SELECT count(*) FROM "Product"))::int) AS g`,
    [freshSku('BLOOMFILL') + '-', fillCategory],
  );
  const [{ n }] = (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "Product"`)) as [{ n: number }];
  const env = { CACHE_KEY_PREFIX: prefix, BLOOM_FALSE_POSITIVE_RATE: '0.01', BLOOM_EXPECTED_ITEMS: String(n) };
  [a, b] = await Promise.all([startCatalogService(env), startCatalogService(env)]);
  // The services start while the filter is (re)built from the database; until then it answers
  // "maybe" (fail open). The tests are about the built filter.
  await waitFor(async () => (await a.service.reads.bloom!.stats())?.builtAt, { timeoutMs: 30_000, what: 'the Bloom filter to be built' });
  redis = createRedis(testRedisConfig(), { commandTimeoutMs: 5_000 });
  await waitForReady(redis); // a cache connection has no offline queue
  categoryId = await createCategory();
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  if (redis) await closeRedis(redis);
});

const origin = async () => {
  const { values } = await (await import('@cachelab/telemetry')).originQueries.get();
  return values.filter((v) => String(v.labels.operation).startsWith('product.find')).reduce((sum, v) => sum + v.value, 0);
};

describe('Bloom filter of product ids in front of GET /products/:id', () => {
  it('answers ids that never existed with 404, without Postgres and without a cached value', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => 2_000_000_000 + i);
    const before = await origin();
    const replies = await Promise.all(ids.map((id) => call(`${a.url}/products/${id}`)));
    // At 1% false positives, more than 5 "maybe" among 50 has a chance below 1 in 10,000; a "maybe" goes on to a lookup.
    const refused = replies.filter((reply) => reply.headers.get('x-bloom') === 'negative');
    expect(refused.length).toBeGreaterThanOrEqual(45);
    for (const reply of refused) expect([reply.status, reply.cache, reply.body.error.code]).toEqual([404, 'negative', 'not_found']);
    expect(await origin()).toBe(before + (ids.length - refused.length));
    expect(await redis.exists(...ids.map((id) => keys.product(id)).slice(0, 1))).toBe(0); // no tombstones written
  });

  it('knows a product as soon as its creation is acknowledged, on every instance', async () => {
    const product = await createProduct(a.url, { categoryId });
    const reply = await call(`${b.url}/products/${product.id}`);
    expect([reply.status, reply.headers.get('x-bloom')]).toEqual([200, 'miss']); // "maybe": looked up
  });

  it('knows imported products', async () => {
    const sku = freshSku('BLOOM');
    const imported = await call(`${a.url}/products/import`, { method: 'POST', json: { products: [{ sku, name: 'Imported', priceCents: 1, categoryId }] } });
    expect(imported.status).toBe(200);
    expect((await call(`${b.url}/products/by-sku/${sku}`)).status).toBe(200);
  });

  it('keeps its measured false-positive rate near the configured one, at capacity', async () => {
    const report = await a.service.reads.bloom!.measureFalsePositiveRate(10_000);
    expect(report.configured).toBe(0.01);
    expect(report.measured).toBeGreaterThan(0.002);
    expect(report.measured).toBeLessThan(0.02);
    console.info(`Bloom filter: measured false-positive rate ${(report.measured * 100).toFixed(2)}% (configured 1%, expected ${(report.expected * 100).toFixed(3)}% at its fill)`);
  });
});
