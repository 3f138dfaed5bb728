import { groupByNode } from '@cachelab/cache';
import { testRedisMode } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCategory, sql } from './helpers/db';
import { createProduct, keysOf } from './support/catalog-api';
import { filePrefix, startCatalogService, type RunningService } from './support/catalog-service';
import { holdLoad } from './support/hold-load';
import { call } from './support/http';

let svc: RunningService;
let keys: ReturnType<typeof keysOf>;
let categoryId: number;
beforeAll(async () => {
  const prefix = filePrefix();
  keys = keysOf(prefix);
  // Small batches, so that one invalidation takes several rounds of per-node pipelines.
  svc = await startCatalogService({ CACHE_KEY_PREFIX: prefix, CACHE_BATCH_SIZE: '25' });
  categoryId = await createCategory();
});
afterAll(() => svc.close());

const uniqueTag = (kind: string) => `${kind}-${process.pid}-${Date.now().toString(36)}`;
const cached = async (ids: number[]) =>
  (await Promise.all(ids.map((id) => svc.service.caches.store.redis.exists(keys.product(id))))).reduce<number>((sum, n) => sum + n, 0);

async function productsTagged(count: number, tags: (i: number) => string[]): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) ids.push((await createProduct(svc.url, { categoryId, tags: tags(i) })).id);
  return ids;
}

describe('POST /tags/:tag/invalidate (tag invalidation)', () => {
  it('removes every cached product carrying the tag, across the slots of every Cluster node', async () => {
    const brand = uniqueTag('brand');
    const promo = uniqueTag('promo');
    const ids = await productsTagged(120, (i) => (i % 2 === 0 ? [brand, promo] : [brand]));
    const untagged = await productsTagged(3, () => []);
    expect(await cached([...ids, ...untagged])).toBe(123); // written through, and tagged, on creation

    const nodes = groupByNode(svc.service.caches.store.redis, ids.map(keys.product), (key) => key);
    if (testRedisMode() === 'cluster') expect(nodes.length).toBeGreaterThan(1);

    const reply = await call(`${svc.url}/tags/${promo}/invalidate`, { method: 'POST' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ tag: promo, removed: 60, scanned: 60, done: true, categories: [categoryId] });
    expect(await cached(ids.filter((_, i) => i % 2 === 0))).toBe(0);
    expect(await cached(ids.filter((_, i) => i % 2 === 1))).toBe(60); // the brand's other products stay

    expect((await call(`${svc.url}/tags/${brand}/invalidate`, { method: 'POST' })).body).toMatchObject({ removed: 60, done: true });
    expect(await cached(ids)).toBe(0);
    expect(await cached(untagged)).toBe(3);

    const read = await call(`${svc.url}/products/${ids[0]}`);
    expect([read.status, read.cache]).toEqual([200, 'miss']);
  });

  it('bounds the work of one call with maxKeys and finishes on the next', async () => {
    const tag = uniqueTag('promo');
    const ids = await productsTagged(80, () => [tag]);

    const first = await call(`${svc.url}/tags/${tag}/invalidate?maxKeys=30`, { method: 'POST' });
    expect(first.body.done).toBe(false);
    expect(first.body.scanned).toBeGreaterThanOrEqual(30);
    expect(first.body.scanned).toBeLessThan(80);
    expect(await cached(ids)).toBe(80 - first.body.removed);

    const rest = await call(`${svc.url}/tags/${tag}/invalidate`, { method: 'POST' });
    expect(rest.body.done).toBe(true);
    expect(first.body.removed + rest.body.removed).toBe(80);
    expect(await cached(ids)).toBe(0);
  });

  it('products read into the cache are tagged by the read-through loader too', async () => {
    const tag = uniqueTag('brand');
    const [id] = await productsTagged(1, () => [tag]);
    await svc.service.caches.store.redis.del(keys.product(id!)); // as if expired
    await svc.service.caches.store.redis.del(svc.service.caches.tags.setKey(tag));
    expect((await call(`${svc.url}/products/${id}`)).cache).toBe('miss');
    expect((await call(`${svc.url}/tags/${tag}/invalidate`, { method: 'POST' })).body).toMatchObject({ removed: 1 });
    expect((await call(`${svc.url}/products/${id}`)).cache).toBe('miss');
  });
});

describe('a tag invalidation between a fill\'s database read and its tagging', () => {
  it('refuses the fill\'s write-back of the row it read before the invalidation', async () => {
    const tag = uniqueTag('brand');
    const load = holdLoad();
    const prefix = filePrefix();
    // No near cache: this is about the Redis entry, and the second read must reach it.
    const raced = await startCatalogService({ CACHE_KEY_PREFIX: prefix, NEAR_CACHE_ENABLED: 'false' }, { hooks: load.hooks });
    try {
      const { id, priceCents } = await createProduct(raced.url, { categoryId, tags: [tag], priceCents: 1000 });
      const redis = raced.service.caches.store.redis;
      // The entry and the tag's set expired (the set lives 2 x the TTL after its last addition).
      await Promise.all([redis.del(keysOf(prefix).product(id)), redis.del(raced.service.caches.tags.setKey(tag))]);

      load.hold({ namespace: 'product', id });
      const filling = call<{ priceCents: number }>(`${raced.url}/products/${id}`);
      await load.loaded; // the fill has read the row at its old price, and has not tagged it yet

      // The change behind the tag (a promotion's bulk job), then its invalidation: the tag's set is
      // empty, the fill's key not in it yet.
      await sql(`UPDATE "Product" SET "priceCents" = $1 WHERE id = $2`, [priceCents + 500, id]);
      const invalidated = await call(`${raced.url}/tags/${tag}/invalidate`, { method: 'POST' });
      expect(invalidated.status).toBe(200);

      load.release();
      const first = await filling;
      expect([first.status, first.cache, first.body.priceCents]).toEqual([200, 'miss', priceCents]); // read before the change

      // The old row must not have been cached: the next read loads the new price.
      const next = await call<{ priceCents: number }>(`${raced.url}/products/${id}`);
      expect([next.status, next.cache, next.body.priceCents]).toEqual([200, 'miss', priceCents + 500]);
    } finally {
      await raced.close();
    }
  });
});
