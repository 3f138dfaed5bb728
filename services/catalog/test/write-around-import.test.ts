import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCategory, freshSku, sql } from './helpers/db';
import { createProduct, keysOf } from './support/catalog-api';
import { filePrefix, startCatalogService, type RunningService } from './support/catalog-service';
import { holdLoad } from './support/hold-load';
import { call } from './support/http';

let svc: RunningService;
let keys: ReturnType<typeof keysOf>;
beforeAll(async () => {
  const prefix = filePrefix();
  keys = keysOf(prefix);
  svc = await startCatalogService({ CACHE_KEY_PREFIX: prefix, CACHE_BATCH_SIZE: '200' });
});
afterAll(async () => {
  await svc.close();
  // 3,000 rows a run: do not let the test database grow with every run.
  await sql(`DELETE FROM "Product" WHERE sku LIKE $1`, [`IMP-${process.pid}-%`]);
});

const redis = () => svc.service.caches.store.redis;
const generation = async (categoryId: number) => Number(await redis().get(keys.generation(categoryId)));
const item = (categoryId: number, sku = freshSku('IMP'), fields: Record<string, unknown> = {}) => ({ sku, name: `Imported ${sku}`, priceCents: 500, categoryId, ...fields });
const importProducts = (products: unknown[]) => call(`${svc.url}/products/import`, { method: 'POST', json: { products } });

async function countCached(ids: number[], key: (id: number) => string = keys.product): Promise<number> {
  let total = 0;
  for (let i = 0; i < ids.length; i += 100) {
    const batch = await Promise.all(ids.slice(i, i + 100).map((id) => redis().exists(key(id))));
    total += batch.reduce<number>((sum, n) => sum + n, 0);
  }
  return total;
}

describe('POST /products/import (write-around)', () => {
  it('writes 3,000 products to the database only, and bumps each category generation once', async () => {
    const categories = [await createCategory(), await createCategory(), await createCategory()];
    await Promise.all(categories.map((id) => call(`${svc.url}/categories/${id}/products`))); // pages cached
    const before = await Promise.all(categories.map(generation));

    const products = Array.from({ length: 3000 }, (_, i) => item(categories[i % 3]!));
    const reply = await importProducts(products);

    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ imported: 3000, created: 3000, updated: 0, categories: [...categories].sort((a, b) => a - b) });
    expect(await Promise.all(categories.map(generation))).toEqual(before.map((g) => g + 1));
    const ids = (await sql<{ id: number }>(`SELECT id FROM "Product" WHERE sku = ANY($1)`, [products.map((p) => p.sku)])).map((r) => r.id);
    expect(ids).toHaveLength(3000);
    expect(await countCached(ids)).toBe(0); // the cache was not filled...
    expect(await countCached(ids, keys.rowVersion)).toBe(0); // ...nor cluttered with per-product counters

    expect((await call(`${svc.url}/categories/${categories[0]}/products`)).body).toMatchObject({ total: 1000 });
    expect((await call(`${svc.url}/products/${ids[0]}`)).cache).toBe('miss'); // read-through fills on demand
  });

  it('drops the cached entries of the products it updates, instead of filling them', async () => {
    const categoryId = await createCategory();
    const existing = await createProduct(svc.url, { categoryId, priceCents: 100 });
    expect((await call(`${svc.url}/products/${existing.id}`)).cache).toBe('hit'); // written through
    const sku = freshSku('NEW');
    expect((await call(`${svc.url}/products/by-sku/${sku}`)).status).toBe(404); // "no such SKU" cached

    const reply = await importProducts([item(categoryId, existing.sku, { priceCents: 999 }), item(categoryId, sku)]);
    expect(reply.body).toMatchObject({ imported: 2, created: 1, updated: 1 });

    expect(await redis().exists(keys.product(existing.id))).toBe(0);
    const read = await call(`${svc.url}/products/${existing.id}`);
    expect([read.cache, read.body.priceCents, read.body.version]).toEqual(['miss', 999, 2]);
    expect((await call(`${svc.url}/products/by-sku/${sku}`)).status).toBe(200);
  });

  it('a "no such SKU" fill that read the database before the import cannot put its tombstone back after it', async () => {
    const categoryId = await createCategory();
    const sku = freshSku('IMP');
    const load = holdLoad();
    const raced = await startCatalogService({ CACHE_KEY_PREFIX: filePrefix() }, { hooks: load.hooks });
    try {
      load.hold({ namespace: 'sku', id: sku });
      const lookup = call(`${raced.url}/products/by-sku/${sku}`);
      await load.loaded; // the fill found no such SKU, and has not written its tombstone yet

      const imported = await call(`${raced.url}/products/import`, { method: 'POST', json: { products: [item(categoryId, sku)] } });
      expect(imported.body).toMatchObject({ imported: 1, created: 1 });
      load.release();
      expect((await lookup).status).toBe(404); // it read before the commit

      const after = await call(`${raced.url}/products/by-sku/${sku}`);
      expect([after.status, after.cache]).toEqual([200, 'miss']);
    } finally {
      await raced.close();
    }
  });

  it('refuses oversized, malformed or inconsistent imports with a 4xx, and imports nothing', async () => {
    const categoryId = await createCategory();
    const count = async () => Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM "Product" WHERE "categoryId" = $1`, [categoryId]))[0]!.n);

    const tooMany = Array.from({ length: 10_001 }, () => item(categoryId));
    expect(await importProducts(tooMany)).toMatchObject({ status: 413, body: { error: { code: 'import_too_large' } } });

    const bad = await importProducts([item(categoryId), item(categoryId, undefined, { priceCents: -5 }), { ...item(categoryId), extra: 1 }]);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues.map((issue: { path: string }) => issue.path)).toEqual(
      expect.arrayContaining(['products.1.priceCents', 'products.2.extra']),
    );

    const sku = freshSku('DUP');
    expect(await importProducts([item(categoryId, sku), item(categoryId, sku)])).toMatchObject({
      status: 400,
      body: { error: { details: { issues: [{ path: 'products.1.sku' }] } } },
    });
    expect(await importProducts([item(categoryId), item(2147483000)])).toMatchObject({
      status: 422,
      body: { error: { code: 'unknown_category', details: { categoryIds: [2147483000] } } },
    });
    expect(await importProducts([])).toMatchObject({ status: 400 });
    expect(await call(`${svc.url}/products/import`, { method: 'POST', json: [item(categoryId)] })).toMatchObject({ status: 400 });
    const malformed = await call(`${svc.url}/products/import`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"products": [' });
    expect(malformed).toMatchObject({ status: 400, body: { error: { code: 'malformed_json' } } });

    expect(await count()).toBe(0);
  });
});
