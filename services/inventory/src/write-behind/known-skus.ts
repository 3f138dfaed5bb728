import { originQueries } from '@cachelab/telemetry';
import type { Prisma } from '../db/client';

/**
 * Which SKUs exist (have a Stock row), answered from memory: a view is counted on the request
 * path without a database query, yet a view of an unknown SKU is a 404. The set is reloaded
 * when a SKU is missing from it, at most once per `reloadEveryMs`, so a flood of made-up SKUs
 * costs one query per interval, not one per request.
 */
export class KnownSkus {
  private skus = new Set<string>();
  private triedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly prisma: Prisma,
    private readonly reloadEveryMs: number,
  ) {}

  async has(sku: string): Promise<boolean> {
    if (this.skus.has(sku)) return true;
    // A load in flight may have read the table before this SKU was added: wait for it, then
    // load once more if the interval allows.
    await this.loading;
    if (this.skus.has(sku)) return true;
    if (Date.now() - this.triedAt >= this.reloadEveryMs) await this.reload();
    return this.skus.has(sku);
  }

  /** Single flight: concurrent misses share one query. */
  reload(): Promise<void> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  // A failed load rejects (the caller answers 503) and still counts as an attempt: while the
  // database is down, misses do not turn into a query each.
  private async load(): Promise<void> {
    this.triedAt = Date.now();
    originQueries.inc({ operation: 'stock.list_skus' });
    const rows = await this.prisma.stock.findMany({ select: { sku: true } });
    this.skus = new Set(rows.map((row) => row.sku));
  }
}
