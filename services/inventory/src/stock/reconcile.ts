import type { Logger } from '@cachelab/telemetry';
import { withSpan } from '@cachelab/telemetry';
import type { Prisma } from '../db/client';
import { allSkus, recordReleases, skuRecords } from '../db/stock';
import type { ReconcileChange, StockStore } from './stock-store';

export interface ReconcileOptions {
  /** Report the drift without repairing anything. */
  dryRun: boolean;
  /** Redis-only reservations younger than this may still be in flight and are left alone. */
  graceMs: number;
  /** Only these SKUs (default: every SKU Postgres has a Stock row for). */
  skus?: string[];
  /** Released entries older than this are dropped from Redis (Postgres prunes after the same time). */
  retentionHours?: number;
  /** SKUs per Postgres query (and scripts in flight together). */
  batchSize?: number;
}

export interface SkuDrift {
  sku: string;
  /** Redis' available count before (null: the stock key was missing). */
  before: number | null;
  /** What it is now (or would be, in a dry run): total minus what Redis holds. */
  after: number;
  changes: ReconcileChange[];
  /** Postgres holds more reserved units than the SKU's total: units were handed out twice. */
  oversold: boolean;
}

export interface ReconcileReport {
  skus: number;
  drifted: SkuDrift[];
  dryRun: boolean;
  /** Postgres rows marked released because Redis had released them. */
  releasesRecorded: number;
}

/**
 * Compares every SKU's Redis state with Postgres' record and repairs the drift in either
 * direction (reconcile-stock-6.lua decides and repairs Redis atomically; this marks the Postgres
 * rows whose release only Redis recorded). After a loss of Redis data it rebuilds everything.
 */
export async function reconcileStock(
  deps: { store: StockStore; prisma: Prisma; logger: Logger },
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  return withSpan('inventory.reconcile', { 'inventory.dry_run': options.dryRun }, async (span) => {
    const skus = options.skus ?? (await allSkus(deps.prisma));
    const batchSize = options.batchSize ?? 200;
    const report: ReconcileReport = { skus: skus.length, drifted: [], dryRun: options.dryRun, releasesRecorded: 0 };
    for (let i = 0; i < skus.length; i += batchSize) {
      const batch = skus.slice(i, i + batchSize);
      const records = await skuRecords(deps.prisma, batch);
      await Promise.all(
        batch.map(async (sku) => {
          const record = records.get(sku);
          if (record === undefined) return; // no Stock row: nothing to reconcile against
          const reply = await deps.store.reconcile(sku, record, { ...options, retentionMs: (options.retentionHours ?? 0) * 3_600_000 });
          if (reply.changes.length === 0) return;
          report.drifted.push({ sku, ...reply, oversold: reply.after < 0 });
          const releasedInRedis = reply.changes.filter((c) => c.kind === 'released_in_redis').map((c) => c.orderId);
          if (!options.dryRun) report.releasesRecorded += await recordReleases(deps.prisma, sku, releasedInRedis);
        }),
      );
    }
    report.drifted.sort((a, b) => Number(a.sku.slice(4)) - Number(b.sku.slice(4)));
    span.setAttribute('inventory.drifted_skus', report.drifted.length);
    for (const drift of report.drifted.filter((d) => d.oversold)) {
      deps.logger.error({ sku: drift.sku, after: drift.after }, 'Postgres records more reserved units than the SKU has');
    }
    return report;
  });
}
