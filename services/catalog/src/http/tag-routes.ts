import { CacheUnavailableError } from '@cachelab/cache';
import { HttpError, params, query } from '@cachelab/http-kit';
import type { Express, RequestHandler } from 'express';
import { z } from 'zod';
import type { CatalogCaches } from '../caching/catalog-caches';
import type { ProductReads } from '../caching/product-reads';
import type { Prisma } from '../db/client';
import { categoriesWithTag } from '../db/products';
import { tagParams } from './schemas';

const invalidateQuery = z.strictObject({
  /** Bounds the work of this call; `done: false` in the answer means "call again". */
  maxKeys: z
    .string()
    .regex(/^[1-9][0-9]{0,6}$/, 'expected a positive integer')
    .transform(Number)
    .optional(),
});

/**
 * POST /tags/:tag/invalidate: after a change that concerns every product with a tag (a promotion
 * ends, a brand is renamed) made outside the product endpoints. Removes every cached product entry
 * carrying the tag, and retires the pages of the categories listing such products.
 */
export function tagRoutes(app: Express, prisma: Prisma, caches: CatalogCaches, reads: ProductReads, limitWrites: RequestHandler): void {
  app.post('/tags/:tag/invalidate', limitWrites, async (req, res) => {
    const { tag } = params(req, tagParams);
    const { maxKeys } = query(req, invalidateQuery);
    if (!caches.enabled) {
      res.json({ tag, removed: 0, scanned: 0, pipelines: 0, done: true, categories: [] });
      return;
    }
    try {
      const [result, categories] = await Promise.all([
        caches.tags.invalidate(tag, maxKeys === undefined ? {} : { maxKeys }),
        categoriesWithTag(prisma, tag),
      ]);
      // Near caches are keyed by id, and the tag's ids are not listed here: they all start over.
      await Promise.all([caches.generations.bumpAll(categories), reads.invalidateAll()]);
      res.json({ ...result, categories });
    } catch (error) {
      if (error instanceof CacheUnavailableError) throw new HttpError(503, 'cache_unavailable', 'Redis is unreachable; retry the invalidation');
      throw error;
    }
  });
}
