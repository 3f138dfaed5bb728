import type { WriteThroughOutcome } from '@cachelab/cache';
import { withSpan } from '@cachelab/telemetry';
import type { CatalogServiceConfig } from '../config';
import type { Prisma } from '../db/client';
import { createProduct, deleteProduct, updateProduct, type NewProduct, type ProductChanges } from '../db/products';
import type { CatalogCaches } from './catalog-caches';
import { toProductView, type ProductView } from './product';
import type { ProductReads } from './product-reads';

export interface WriteEvent {
  operation: 'create' | 'update' | 'delete';
  id: number;
}

/** A read-through load: a product by id, or a SKU's id. */
export type LoadEvent = { namespace: 'product'; id: number } | { namespace: 'sku'; id: string };

/**
 * Test seams. `afterCommit` runs between the database commit and the cache write; `afterLoad` in
 * the read-through loaders, between the database read and anything else (tagging, write-back).
 */
export interface CatalogHooks {
  afterCommit?: (event: WriteEvent) => Promise<void> | void;
  afterLoad?: (event: LoadEvent) => Promise<void> | void;
}

/** What the cache did after the commit, for logs and tests. */
export interface CacheEffect {
  entry: WriteThroughOutcome | 'invalidated' | 'deferred' | 'disabled';
  /** Categories whose generation was bumped (their pages become unreachable). */
  categories: number[];
}

/**
 * Product writes: commit in Postgres, then bring the cache up to date in the same request; the
 * response waits for both. With WRITE_MODE=write-through (the default) the committed row is
 * written into its entry; with `invalidate` the entry is only dropped (cache-aside), the variant
 * the benchmark compares against. Either way every category the product is or was listed in gets
 * its generation bumped, the other instances' near caches are told to drop the product (after the
 * Redis entry changed, so that what they reload is the new row), and a new id joins the Bloom
 * filter before the response (so that nobody is told it does not exist).
 */
export class ProductWrites {
  constructor(
    private readonly prisma: Prisma,
    private readonly caches: CatalogCaches,
    private readonly reads: ProductReads,
    private readonly config: CatalogServiceConfig,
    private readonly hooks: CatalogHooks = {},
  ) {}

  /** @throws SkuTakenError, UnknownCategoryError */
  async create(data: NewProduct): Promise<{ product: ProductView; cache: CacheEffect }> {
    const product = toProductView(await createProduct(this.prisma, data));
    await this.hooks.afterCommit?.({ operation: 'create', id: product.id });
    const cache = await this.afterCommit(product.id, product, [product.categoryId], async () => {
      // A "no such SKU" tombstone may be cached from a lookup before the product existed.
      await Promise.all([this.caches.skus.invalidate(product.sku), this.reads.created([product.id])]);
    });
    return { product, cache };
  }

  /** Null when the product does not exist. @throws UnknownCategoryError */
  async update(id: number, changes: ProductChanges): Promise<{ product: ProductView; cache: CacheEffect } | null> {
    const updated = await updateProduct(this.prisma, id, changes);
    if (!updated) return null;
    const product = toProductView(updated.product);
    await this.hooks.afterCommit?.({ operation: 'update', id });
    const cache = await this.afterCommit(id, product, [updated.previousCategoryId, product.categoryId]);
    return { product, cache };
  }

  /** False when the product does not exist. */
  async remove(id: number): Promise<{ cache: CacheEffect } | null> {
    const deleted = await deleteProduct(this.prisma, id);
    if (!deleted) return null;
    await this.hooks.afterCommit?.({ operation: 'delete', id });
    // The tombstone carries the deleted row's version + 1: a late write of any earlier version is refused.
    const cache = await this.afterCommit(id, { deletedVersion: deleted.version }, [deleted.categoryId], async () => {
      await this.caches.skus.invalidate(deleted.sku);
    });
    return { cache };
  }

  private afterCommit(
    id: number,
    row: ProductView | { deletedVersion: number },
    categories: number[],
    more: () => Promise<unknown> = async () => undefined,
  ): Promise<CacheEffect> {
    const touched = [...new Set(categories)];
    if (!this.caches.enabled) return Promise.resolve({ entry: 'disabled', categories: [] });
    return withSpan('catalog.cache-after-commit', { 'cache.pattern': this.config.WRITE_MODE }, async () => {
      const updateEntries = async () => {
        const outcome = await this.updateEntry(id, row);
        await this.reads.invalidate(id); // after the Redis entry: near caches reload the new row
        return outcome;
      };
      const [entry] = await Promise.all([updateEntries(), this.caches.generations.bumpAll(touched), more()]);
      return { entry, categories: touched };
    });
  }

  private async updateEntry(id: number, row: ProductView | { deletedVersion: number }): Promise<CacheEffect['entry']> {
    const { products, productWrites, tags } = this.caches;
    if (this.config.WRITE_MODE === 'invalidate') return products.invalidate(id);
    if ('deletedVersion' in row) return productWrites.remove(id, row.deletedVersion + 1);
    // Tagged before the entry is written, so a tag invalidation running meanwhile finds it. If Redis
    // is unreachable the write below fails too, and takes the repair path.
    if (row.tags.length > 0) await tags.add(products.keys(id).entry, row.tags).catch(() => undefined);
    return productWrites.write(id, row, row.version);
  }
}
