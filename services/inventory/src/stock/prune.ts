import type { Logger } from '@cachelab/telemetry';
import type { Prisma } from '../db/client';
import { pruneReleasedReservations } from '../db/stock';
import type { StockStore } from './stock-store';

export interface PruneOptions {
  /** Released reservations older than this are forgotten (RESERVATION_RETENTION_HOURS). */
  retentionHours: number;
  /** Rows per DELETE (and per round trip to Redis). */
  batchSize?: number;
}

/**
 * Retention of released reservations. A released reservation is kept, in Postgres and in the
 * SKU's `released` hash in Redis, so that a replayed reserve or release of that order is
 * recognised; past the retention it is deleted from both, so that neither grows without bound
 * (and the load and reconcile scripts read a bounded record). An order id replayed after that
 * is treated as a new order. Live (reserved) reservations are never pruned.
 *
 * Postgres first, then Redis: a crash in between leaves Redis entries that reconciliation drops
 * by their own age (reconcile-stock-6.lua, the same retention).
 */
export async function pruneReservations(deps: { store: StockStore; prisma: Prisma; logger: Logger }, options: PruneOptions): Promise<number> {
  const batchSize = options.batchSize ?? 1_000;
  let pruned = 0;
  for (;;) {
    const rows = await pruneReleasedReservations(deps.prisma, options.retentionHours, batchSize);
    const bySku = new Map<string, string[]>();
    for (const row of rows) bySku.set(row.sku, [...(bySku.get(row.sku) ?? []), row.orderId]);
    for (const [sku, orderIds] of bySku) await deps.store.forgetReleased(sku, orderIds);
    pruned += rows.length;
    if (rows.length < batchSize) break;
  }
  if (pruned > 0) deps.logger.info({ pruned, retentionHours: options.retentionHours }, 'released reservations past their retention pruned');
  return pruned;
}

/** Runs pruneReservations every `everyMs` (0: never) in the service process; several instances may. */
export function startPruning(deps: Parameters<typeof pruneReservations>[0], options: PruneOptions & { everyMs: number }): () => void {
  if (options.everyMs === 0) return () => undefined;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    pruneReservations(deps, options)
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'pruning released reservations failed; retried at the next interval'))
      .finally(() => (running = false));
  }, options.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
