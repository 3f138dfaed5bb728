import type { CacheRead } from '@cachelab/cache';
import { body, HttpError, params } from '@cachelab/http-kit';
import type { Express, RequestHandler } from 'express';
import type { CatalogCaches } from '../caching/catalog-caches';
import type { ProductView } from '../caching/product';
import type { ProductReads } from '../caching/product-reads';
import type { ProductWrites } from '../caching/product-writes';
import { sendCached } from './cached-response';
import { writeErrors } from './write-errors';
import { idParams, newProduct, productChanges, skuParams } from './schemas';

/** How a lookup through two entries (SKU -> id, id -> product) was answered: by its weakest step. */
const RANK = ['hit', 'negative', 'stale', 'coalesced', 'miss', 'bypass'] as const;
const weakest = (a: CacheRead<unknown>['result'], b: CacheRead<unknown>['result']) =>
  RANK.indexOf(a) >= RANK.indexOf(b) ? a : b;

export function productRoutes(app: Express, caches: CatalogCaches, reads: ProductReads, writes: ProductWrites, limitWrites: RequestHandler): void {
  // Near cache, Bloom filter, then read-through: the route names the id, the loader registered
  // for "product" does the rest.
  app.get('/products/:id', async (req, res) => {
    const { id } = params(req, idParams);
    const read = await reads.get(id);
    res.setHeader('x-near-cache', read.near);
    res.setHeader('x-bloom', read.bloom);
    sendCached(res, read, 'product');
  });

  // For other services (inventory checks that a SKU exists before reserving stock).
  app.get('/products/by-sku/:sku', async (req, res) => {
    const { sku } = params(req, skuParams);
    const idRead = await caches.skus.get(sku);
    if (idRead.value === null) return sendCached(res, idRead, 'product');
    const read: CacheRead<ProductView> = await reads.get(idRead.value);
    // A product deleted after its SKU entry was read: "not found", like the SKU itself.
    sendCached(res, { value: read.value, result: weakest(idRead.result, read.result) }, 'product');
  });

  app.post('/products', limitWrites, async (req, res) => {
    const data = body(req, newProduct);
    const { product } = await writes.create(data).catch(writeErrors);
    res.status(201).json(product);
  });

  app.patch('/products/:id', limitWrites, async (req, res) => {
    const { id } = params(req, idParams);
    const changes = body(req, productChanges);
    const updated = await writes.update(id, changes).catch(writeErrors);
    if (!updated) throw new HttpError(404, 'not_found', 'product not found');
    res.json(updated.product);
  });

  app.delete('/products/:id', limitWrites, async (req, res) => {
    const { id } = params(req, idParams);
    if (!(await writes.remove(id))) throw new HttpError(404, 'not_found', 'product not found');
    res.status(204).end();
  });
}
