import { unlinkByNode, type DropAllResult } from '@cachelab/cache';
import { withSpan } from '@cachelab/telemetry';
import type { CatalogServiceConfig } from '../config';
import type { Prisma } from '../db/client';
import { importProducts } from '../db/import';
import type { NewProduct } from '../db/products';
import type { CatalogCaches } from './catalog-caches';
import type { ProductReads } from './product-reads';

export interface ImportReport {
  imported: number;
  created: number;
  updated: number;
  /** Categories whose generation was bumped: once each, whatever the number of their products. */
  categories: number[];
  /**
   * Entries of updated products dropped at their new row versions (never filled), and "not found"
   * tombstones removed for created products and their SKUs.
   */
  cache: DropAllResult & { tombstonesRemoved: number };
}

/**
 * Write-around for bulk imports: the rows go to Postgres only. Filling the cache with 10,000
 * products nobody asked for would evict the ones people do read; instead, what the import makes
 * stale is dropped:
 * - the entries of updated products, each at its new row version (write-through-3.lua), so a
 *   concurrent PATCH's newer write is kept and a late older one refused;
 * - "not found" tombstones of created ids and SKUs, invalidated like `POST /products` does it
 *   (version bump, then UNLINK), in per-node batches: a fill that read "no such SKU" before the
 *   commit has its write-back refused, instead of putting the tombstone back for NEGATIVE_TTL_MS;
 * - every touched category's pages, by one generation bump per category for the whole import;
 * - near-cache copies of updated products, on every instance.
 * New ids join the Bloom filter (that is not caching a value: without it they would be 404s).
 */
export class ProductImport {
  constructor(
    private readonly prisma: Prisma,
    private readonly caches: CatalogCaches,
    private readonly reads: ProductReads,
    private readonly config: CatalogServiceConfig,
  ) {}

  async run(products: readonly NewProduct[]): Promise<ImportReport> {
    return withSpan('catalog.import', { 'cache.pattern': 'write-around', 'catalog.import.products': products.length }, async () => {
      const rows = await importProducts(this.prisma, products);
      const created = rows.filter((row) => row.created);
      const categories = [...new Set(rows.flatMap((row) => [row.categoryId, row.previousCategoryId]))].sort((a, b) => a - b);
      const report: ImportReport = {
        imported: rows.length,
        created: created.length,
        updated: rows.length - created.length,
        categories,
        cache: { dropped: 0, superseded: 0, repairPending: 0, tombstonesRemoved: 0 },
      };
      if (!this.caches.enabled) return report;

      const { productWrites, generations, skus } = this.caches;
      const updated = rows.filter((row) => !row.created);
      const dropUpdated = async () => {
        const result = await productWrites.dropAll(updated.map((row) => ({ id: row.id, rowVersion: row.version })), {
          batchSize: this.config.CACHE_BATCH_SIZE,
          pattern: 'write-around',
        });
        await this.reads.invalidate(updated.map((row) => row.id));
        return result;
      };
      const tombstones = created.flatMap((row) => [this.caches.products.keys(row.id).entry, skus.keys(row.sku).entry]);
      const [dropped, tombstonesRemoved] = await Promise.all([
        dropUpdated(),
        this.removeTombstones(tombstones),
        generations.bumpAll(categories),
        this.reads.created(created.map((row) => row.id)),
      ]);
      report.cache = { ...dropped, tombstonesRemoved };
      return report;
    });
  }

  /**
   * The batched form of `invalidate` (invalidate-2.lua): per node one pipeline, per slot the
   * entities' version counters bumped (`product:{id}:ver`, `sku:{SKU}:ver`), then one UNLINK. Each
   * created product leaves two counters for VERSION_TTL_MS. Best effort: if Redis cannot be reached,
   * a tombstone left behind answers "not found" for NEGATIVE_TTL_MS at most.
   */
  private async removeTombstones(keys: string[]): Promise<number> {
    const invalidate = { bumpVersions: true, versionTtlMs: this.config.VERSION_TTL_MS };
    let removed = 0;
    try {
      for (let start = 0; start < keys.length; start += this.config.CACHE_BATCH_SIZE) {
        const batch = keys.slice(start, start + this.config.CACHE_BATCH_SIZE);
        removed += (await this.caches.store.run((redis) => unlinkByNode(redis, batch, invalidate))).removed;
      }
    } catch {
      // Redis unreachable: the tombstones expire by themselves.
    }
    return removed;
  }
}
