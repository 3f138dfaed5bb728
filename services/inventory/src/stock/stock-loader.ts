import type { Logger } from '@cachelab/telemetry';
import type { Prisma } from '../db/client';
import { allSkus, skuRecord, skuRecords } from '../db/stock';
import { DatabaseUnavailableError, UnknownSkuError } from './errors';
import type { StockStore } from './stock-store';

const BATCH = 500;

/**
 * Puts Postgres' record of a SKU into Redis when Redis has none: at start for every SKU, and
 * on demand when a script answers `not_loaded` (Redis lost its data while we were running).
 * Loading never overwrites a live stock key (load-stock-6.lua checks in the same step).
 */
export class StockLoader {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly store: StockStore,
    private readonly prisma: Prisma,
    private readonly logger: Logger,
  ) {}

  /**
   * Loads one SKU. Concurrent callers in this process share one load, so a burst of requests
   * after a Redis wipe costs one Postgres query per SKU. @throws UnknownSkuError
   */
  loadSku(sku: string): Promise<void> {
    let load = this.inFlight.get(sku);
    if (load === undefined) {
      load = this.loadOne(sku).finally(() => this.inFlight.delete(sku));
      this.inFlight.set(sku, load);
    }
    return load;
  }

  /** Loads every SKU Postgres knows and Redis does not. Returns how many were loaded. */
  async loadMissing(): Promise<{ skus: number; loaded: number }> {
    const skus = await allSkus(this.prisma);
    let loaded = 0;
    for (let i = 0; i < skus.length; i += BATCH) {
      const batch = skus.slice(i, i + BATCH);
      const present = await Promise.all(batch.map((sku) => this.store.exists(sku)));
      const missing = batch.filter((_, j) => !present[j]);
      if (missing.length === 0) continue;
      const records = await skuRecords(this.prisma, missing);
      const results = await Promise.all(missing.map((sku) => this.store.load(sku, records.get(sku)!)));
      loaded += results.filter(Boolean).length;
    }
    if (loaded > 0) this.logger.info({ skus: skus.length, loaded }, 'stock loaded into Redis from Postgres');
    return { skus: skus.length, loaded };
  }

  private async loadOne(sku: string): Promise<void> {
    const record = await skuRecord(this.prisma, sku).catch((error: unknown) => {
      throw new DatabaseUnavailableError(`${sku}: stock not in Redis and Postgres did not answer`, error);
    });
    if (record === null) throw new UnknownSkuError(sku, 'stock');
    if (await this.store.load(sku, record)) this.logger.info({ sku }, 'stock key was missing: loaded from Postgres');
  }
}
