import type { PendingView } from '@cachelab/cache';
import { originQueries } from '@cachelab/telemetry';
import type { Prisma } from '../db/client';
import type { InventoryCounters } from './counters';

export interface CounterPart {
  persisted: number;
  /** Counted in Redis, not yet in Postgres; null when Redis could not be asked. */
  pending: number | null;
}

export interface SkuCounters {
  sku: string;
  views: CounterPart;
  sold: CounterPart;
}

interface PersistedRow {
  views: bigint;
  sold: bigint;
  applied: string[];
}

/**
 * Persisted and pending parts of one SKU's counters, with nothing in both and nothing in neither.
 *
 * Redis is read first (pending hash + open batches, one snapshot), then Postgres in one
 * statement: the totals and which of those open batches it already holds. A batch the flush
 * committed but has not acknowledged yet is then counted as persisted only; one committed after
 * the Postgres read is counted as pending only.
 */
export async function readCounters(prisma: Prisma, counters: InventoryCounters, sku: string): Promise<SkuCounters> {
  const view: PendingView | null = await counters.pending(sku).catch(() => null);
  const batchIds = view?.batches.map((batch) => batch.id) ?? [];
  originQueries.inc({ operation: 'counters.read' });
  const [row] = await prisma.$queryRaw<PersistedRow[]>`
    SELECT COALESCE(c."views", 0)::bigint AS views,
           COALESCE(c."sold", 0)::bigint AS sold,
           ARRAY(SELECT "id" FROM "AppliedBatch" WHERE "id" = ANY(${batchIds}::varchar[]))::text[] AS applied
      FROM (SELECT 1) AS one
      LEFT JOIN "ProductCounter" c ON c."sku" = ${sku}`;
  const applied = new Set(row?.applied ?? []);
  const pending = (counter: 'views' | 'sold'): number | null => {
    if (!view) return null;
    const inBatches = view.batches.filter((batch) => !applied.has(batch.id)).reduce((sum, batch) => sum + (batch.values[counter] ?? 0), 0);
    return (view.unclaimed[counter] ?? 0) + inBatches;
  };
  return {
    sku,
    views: { persisted: Number(row?.views ?? 0), pending: pending('views') },
    sold: { persisted: Number(row?.sold ?? 0), pending: pending('sold') },
  };
}
