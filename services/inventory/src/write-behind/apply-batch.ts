import type { Batch } from '@cachelab/cache';
import { originQueries } from '@cachelab/telemetry';
import type { Prisma } from '../db/client';
import { COUNTERS, type CounterName } from './counters';
import { incrementsPersisted } from './metrics';

interface Row {
  sku: string;
  views: number;
  sold: number;
}

/** The batch's deltas summed per SKU, sorted by SKU (see the lock-order note below). */
function rowsOf(batch: Batch): Row[] {
  const rows = new Map<string, Row>();
  for (const delta of batch.deltas) {
    if (!(COUNTERS as readonly string[]).includes(delta.counter)) continue;
    const row = rows.get(delta.id) ?? { sku: delta.id, views: 0, sold: 0 };
    row[delta.counter as CounterName] += delta.by;
    rows.set(delta.id, row);
  }
  return [...rows.values()].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}

/**
 * Applies a write-behind batch to Postgres exactly once, in ONE statement (so one transaction):
 * the batch id goes into AppliedBatch and the deltas are added to ProductCounter only when that
 * insert happened. A batch whose id is already there (a retry after a crash between commit and
 * acknowledgement, or two flushes racing) changes nothing and comes back as 'duplicate'; a
 * racing duplicate waits on the unique index until the first commits, then skips.
 *
 * Rows are upserted in SKU order: two batches of one shard applied concurrently then lock their
 * common rows in the same order and cannot deadlock.
 */
export async function applyBatch(prisma: Prisma, batch: Batch): Promise<'applied' | 'duplicate'> {
  const rows = rowsOf(batch);
  originQueries.inc({ operation: 'counters.apply' });
  const [result] = await prisma.$queryRaw<{ applied: number }[]>`
    WITH batch AS (
      INSERT INTO "AppliedBatch" ("id", "shard", "increments")
      VALUES (${batch.id}, ${batch.shard}, ${batch.increments})
      ON CONFLICT ("id") DO NOTHING
      RETURNING "id"
    ), upserted AS (
      INSERT INTO "ProductCounter" ("sku", "views", "sold", "updatedAt")
      SELECT d.sku, d.views, d.sold, now()
        FROM unnest(${rows.map((r) => r.sku)}::varchar[], ${rows.map((r) => r.views)}::bigint[], ${rows.map((r) => r.sold)}::bigint[])
             AS d(sku, views, sold)
       WHERE EXISTS (SELECT 1 FROM batch)
       ORDER BY d.sku
      ON CONFLICT ("sku") DO UPDATE
        SET "views" = "ProductCounter"."views" + EXCLUDED."views",
            "sold" = "ProductCounter"."sold" + EXCLUDED."sold",
            "updatedAt" = EXCLUDED."updatedAt"
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM batch)::int AS applied`;
  if (result?.applied !== 1) return 'duplicate';
  for (const counter of COUNTERS) {
    const total = rows.reduce((sum, row) => sum + row[counter], 0);
    if (total > 0) incrementsPersisted.inc({ counter }, total);
  }
  return 'applied';
}

/** Deletes AppliedBatch rows older than the retention; returns how many. */
export async function pruneAppliedBatches(prisma: Prisma, retentionHours: number): Promise<number> {
  originQueries.inc({ operation: 'counters.prune' });
  return prisma.$executeRaw`DELETE FROM "AppliedBatch" WHERE "appliedAt" < now() - make_interval(hours => ${retentionHours}::int)`;
}
