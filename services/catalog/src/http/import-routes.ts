import { body, HttpError } from '@cachelab/http-kit';
import type { Express, RequestHandler } from 'express';
import { z } from 'zod';
import type { CatalogServiceConfig } from '../config';
import type { ProductImport } from '../caching/product-import';
import type { NewProduct } from '../db/products';
import { writeErrors } from './write-errors';
import { newProduct } from './schemas';

/** At most this many item errors are reported: a bad file of 10,000 rows must not yield 10,000. */
const MAX_REPORTED_ERRORS = 20;

/**
 * Validates items one chunk at a time and stops collecting after MAX_REPORTED_ERRORS, so a large
 * bad import costs no more than needed to say what is wrong with it.
 */
function validateItems(items: unknown[], chunkSize = 1000): NewProduct[] {
  const valid: NewProduct[] = [];
  const issues: { path: string; message: string }[] = [];
  const skus = new Map<string, number>();
  for (let start = 0; start < items.length && issues.length < MAX_REPORTED_ERRORS; start += chunkSize) {
    for (const [offset, item] of items.slice(start, start + chunkSize).entries()) {
      const index = start + offset;
      const parsed = newProduct.safeParse(item);
      if (!parsed.success) {
        for (const issue of parsed.error.issues.slice(0, 3)) {
          const field = issue.code === 'unrecognized_keys' ? issue.keys.join(',') : issue.path.join('.');
          issues.push({ path: `products.${index}${field ? `.${field}` : ''}`, message: issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message });
        }
        continue;
      }
      const first = skus.get(parsed.data.sku);
      if (first !== undefined) issues.push({ path: `products.${index}.sku`, message: `duplicate of products.${first}.sku` });
      skus.set(parsed.data.sku, index);
      valid.push(parsed.data);
    }
  }
  if (issues.length > 0) {
    throw new HttpError(400, 'validation_failed', 'Some products are invalid; nothing was imported', {
      issues: issues.slice(0, MAX_REPORTED_ERRORS),
    });
  }
  return valid;
}

export function importRoutes(app: Express, productImport: ProductImport, config: CatalogServiceConfig, limitWrites: RequestHandler): void {
  const envelope = z.strictObject({ products: z.array(z.unknown()).min(1, 'expected at least one product') });

  // Write-around: the database only. The cache is not filled with the imported rows.
  app.post('/products/import', limitWrites, async (req, res) => {
    const { products } = body(req, envelope);
    if (products.length > config.IMPORT_MAX_PRODUCTS) {
      throw new HttpError(413, 'import_too_large', `An import holds at most ${config.IMPORT_MAX_PRODUCTS} products; split it`, {
        products: products.length,
        max: config.IMPORT_MAX_PRODUCTS,
      });
    }
    const report = await productImport.run(validateItems(products)).catch(writeErrors);
    res.json(report);
  });
}
