import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCategory } from './helpers/db';
import { createProduct, keysOf, patchProduct } from './support/catalog-api';
import { filePrefix, startCatalogService, type RunningService } from './support/catalog-service';
import { call } from './support/http';

let svc: RunningService;
let keys: ReturnType<typeof keysOf>;
beforeAll(async () => {
  const prefix = filePrefix();
  keys = keysOf(prefix);
  svc = await startCatalogService({ CACHE_KEY_PREFIX: prefix, PAGE_SIZE: '5' });
});
afterAll(() => svc.close());

const page = (categoryId: number, n = 1) => call(`${svc.url}/categories/${categoryId}/products?page=${n}`);
const generation = async (categoryId: number) => Number(await svc.service.caches.store.redis.get(keys.generation(categoryId)));

/** A category with `count` products named A01, A02, ... (page order is by name). */
async function categoryWith(count: number) {
  const categoryId = await createCategory();
  const products = [];
  for (let i = 1; i <= count; i++) products.push(await createProduct(svc.url, { categoryId, name: `A${String(i).padStart(2, '0')}` }));
  return { categoryId, products };
}

describe('GET /categories/:id/products?page=N (versioned keys)', () => {
  it('is cached under a key holding the category generation', async () => {
    const { categoryId } = await categoryWith(12);
    const first = await page(categoryId, 2);
    expect([first.status, first.cache, first.body.total, first.body.products.map((p: { name: string }) => p.name)]).toEqual([
      200, 'miss', 12, ['A06', 'A07', 'A08', 'A09', 'A10'],
    ]);
    expect((await page(categoryId, 2)).cache).toBe('hit');
    expect(await svc.service.caches.store.redis.exists(keys.page(categoryId, await generation(categoryId), 2))).toBe(1);
  });

  it('a product change in the category increments the generation once: every page misses, old pages stay unreachable', async () => {
    const { categoryId, products } = await categoryWith(7);
    await page(categoryId, 1);
    await page(categoryId, 2);
    const before = await generation(categoryId);
    const oldPages = [keys.page(categoryId, before, 1), keys.page(categoryId, before, 2)];

    await patchProduct(svc.url, products[6]!.id, { name: 'A00', priceCents: 1 });

    expect(await generation(categoryId)).toBe(before + 1);
    const after = await page(categoryId, 1);
    expect([after.cache, after.body.products[0].name, after.body.products[0].priceCents]).toEqual(['miss', 'A00', 1]);
    expect((await page(categoryId, 2)).cache).toBe('miss');
    // Nothing was deleted: the old generation's pages are still in Redis, unread, until their TTL.
    for (const key of oldPages) {
      expect(await svc.service.caches.store.redis.exists(key)).toBe(1);
      expect(await svc.service.caches.store.redis.pttl(key)).toBeGreaterThan(0);
    }
  });

  it('create and delete bump the generation; other categories keep their pages', async () => {
    const { categoryId, products } = await categoryWith(2);
    const other = await categoryWith(1);
    await page(categoryId);
    await page(other.categoryId);
    const [start, otherStart] = [await generation(categoryId), await generation(other.categoryId)];

    await createProduct(svc.url, { categoryId, name: 'A03' });
    expect(await generation(categoryId)).toBe(start + 1);
    expect((await call(`${svc.url}/products/${products[0]!.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await generation(categoryId)).toBe(start + 2);
    expect((await page(categoryId)).body.products.map((p: { name: string }) => p.name)).toEqual(['A02', 'A03']);

    expect(await generation(other.categoryId)).toBe(otherStart);
    expect((await page(other.categoryId)).cache).toBe('hit');
  });

  it('moving a product bumps both categories, once each', async () => {
    const from = await categoryWith(2);
    const to = await categoryWith(1);
    await Promise.all([page(from.categoryId), page(to.categoryId)]);
    const [fromGen, toGen] = [await generation(from.categoryId), await generation(to.categoryId)];

    await patchProduct(svc.url, from.products[0]!.id, { categoryId: to.categoryId });

    expect([await generation(from.categoryId), await generation(to.categoryId)]).toEqual([fromGen + 1, toGen + 1]);
    expect((await page(from.categoryId)).body.total).toBe(1);
    expect((await page(to.categoryId)).body.total).toBe(2);
  });

  it('an unknown category is a cached 404; a page past the end is an empty page', async () => {
    expect(await call(`${svc.url}/categories/2147480000/products`)).toMatchObject({ status: 404, cache: 'miss' });
    expect(await call(`${svc.url}/categories/2147480000/products`)).toMatchObject({ status: 404, cache: 'negative' });
    const { categoryId } = await categoryWith(1);
    expect((await page(categoryId, 3)).body).toMatchObject({ page: 3, total: 1, products: [] });
  });
});
