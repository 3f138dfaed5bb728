import { hashedKeyPart, normaliseText } from '@cachelab/cache';
import { HttpError, params, query } from '@cachelab/http-kit';
import type { Express } from 'express';
import type { CatalogCaches } from '../caching/catalog-caches';
import type { CatalogServiceConfig } from '../config';
import type { Prisma } from '../db/client';
import { searchProducts, selectCategoryPage, type SearchPage } from '../db/listings';
import { sendCached, uncached } from './cached-response';
import { idParams, pageQuery, searchQuery } from './schemas';

export function listingRoutes(app: Express, prisma: Prisma, caches: CatalogCaches, config: CatalogServiceConfig): void {
  const pageSize = config.PAGE_SIZE;

  // Versioned keys: the page is cached under the category's current generation.
  app.get('/categories/:id/products', async (req, res) => {
    const { id } = params(req, idParams);
    const { page } = query(req, pageQuery);
    const load = () => selectCategoryPage(prisma, id, page, pageSize);
    const read = caches.enabled ? await caches.pages.get(id, `p${page}`, load) : await uncached('versioned-keys', load);
    sendCached(res, read, 'category');
  });

  // Hashed keys: the entry is named by a hash of the normalised text, never by the text.
  app.get('/search', async (req, res) => {
    const { q, page } = query(req, searchQuery);
    // Results match every term, whatever their order: "shoes red" and "Red  shoes!" share an entry.
    const normalised = normaliseText(q, { unordered: true, maxLength: 200 }).split(' ').slice(0, 8).join(' ');
    if (normalised === '') throw new HttpError(400, 'empty_query', 'The search text has no letters or digits');
    const load = async (): Promise<SearchPage> => searchProducts(prisma, normalised, page, pageSize);
    const read = caches.enabled ? await caches.searches.get(`${hashedKeyPart(normalised)}.p${page}`, load) : await uncached('hashed-keys', load);
    sendCached(res, read, 'search');
  });
}
