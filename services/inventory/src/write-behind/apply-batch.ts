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

const isCounter = (counter: string): counter is CounterName => (COUNTERS as readonly string[]).includes(counter);

/** The batch's deltas summed per SKU, sorted by SKU (see the lock-order note below). */
function rowsOf(batch: Batch): Row[] {
  const rows = new Map<string, Row>();
  for (const delta of batch.deltas) {
    if (!isCounter(delta.counter)) continue;
    const row = rows.get(delta.id) ?? { sku: delta.id, views: 0, sold: 0 };
    row[delta.counter] += delta.by;
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
 * Sales carry their identity (`sale:<sku>:<orderId>`, `batch.once`), the same id under which the
 * Postgres fallback (record-sale.ts) applies a sale it wrote directly: one dedupe identity for both
 * paths, kept in AppliedBatch. The statement inserts each sale's id; a sale whose id is already
 * there was counted by the fallback and its units are taken back out of the batch's delta. A
 * revocation (a compensated order, negative) deletes the id; when the id was not there, the units
 * it would take off were never counted and are added back.
 *
 * Rows are upserted in SKU order: two batches of one shard applied concurrently then lock their
 * common rows in the same order and cannot deadlock.
 */
export async function applyBatch(prisma: Prisma, batch: Batch): Promise<'applied' | 'duplicate'> {
  const rows = rowsOf(batch);
  const sales = batch.once.filter((entry) => isCounter(entry.counter));
  originQueries.inc({ operation: 'counters.apply' });
  const [result] = await prisma.$queryRaw<{ applied: number; views: bigint; sold: bigint }[]>`
    WITH batch AS (
      INSERT INTO "AppliedBatch" ("id", "shard", "increments")
      VALUES (${batch.id}, ${batch.shard}, ${batch.increments})
      ON CONFLICT ("id") DO NOTHING
      RETURNING "id"
    ), sales AS (
      SELECT * FROM unnest(${sales.map((s) => s.key)}::varchar[], ${sales.map((s) => s.id)}::varchar[],
                           ${sales.map((s) => s.counter)}::varchar[], ${sales.map((s) => s.by)}::bigint[])
             AS o(key, sku, counter, by)
    ), recorded AS (
      INSERT INTO "AppliedBatch" ("id", "shard", "increments")
      SELECT o.key, ${batch.shard}, o.by FROM sales o WHERE o.by > 0 AND EXISTS (SELECT 1 FROM batch)
      ON CONFLICT ("id") DO NOTHING
      RETURNING "id"
    ), forgotten AS (
      DELETE FROM "AppliedBatch" a USING sales o
       WHERE a."id" = o.key AND o.by < 0 AND EXISTS (SELECT 1 FROM batch)
      RETURNING a."id"
    ), totals AS (
      SELECT t.sku, sum(t.views)::bigint AS views, sum(t.sold)::bigint AS sold
        FROM (
          SELECT d.sku, d.views, d.sold
            FROM unnest(${rows.map((r) => r.sku)}::varchar[], ${rows.map((r) => r.views)}::bigint[], ${rows.map((r) => r.sold)}::bigint[])
                 AS d(sku, views, sold)
          UNION ALL
          -- the sales the database already held, and the revocations of sales it never held
          SELECT o.sku, CASE WHEN o.counter = 'views' THEN -o.by ELSE 0 END, CASE WHEN o.counter = 'sold' THEN -o.by ELSE 0 END
            FROM sales o
           WHERE (o.by > 0 AND o.key NOT IN (SELECT "id" FROM recorded))
              OR (o.by < 0 AND o.key NOT IN (SELECT "id" FROM forgotten))
        ) AS t
       GROUP BY t.sku
    ), upserted AS (
      INSERT INTO "ProductCounter" ("sku", "views", "sold", "updatedAt")
      SELECT t.sku, t.views, t.sold, now() FROM totals t
       WHERE EXISTS (SELECT 1 FROM batch) AND (t.views <> 0 OR t.sold <> 0)
       ORDER BY t.sku
      ON CONFLICT ("sku") DO UPDATE
        SET "views" = "ProductCounter"."views" + EXCLUDED."views",
            "sold" = "ProductCounter"."sold" + EXCLUDED."sold",
            "updatedAt" = EXCLUDED."updatedAt"
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM batch)::int AS applied,
           (SELECT COALESCE(sum(views), 0) FROM totals)::bigint AS views,
           (SELECT COALESCE(sum(sold), 0) FROM totals)::bigint AS sold`;
  if (result?.applied !== 1) return 'duplicate';
  for (const counter of COUNTERS) {
    const total = Number(result[counter]);
    if (total > 0) incrementsPersisted.inc({ counter }, total);
  }
  return 'applied';
}

/**
 * Takes a sale back in Postgres directly: deletes its identity and subtracts the units it was
 * counted with. 'revoked' when Postgres held it, 'absent' when it did not (nothing to take back).
 */
export async function revokeInDatabase(prisma: Prisma, key: string, sku: string): Promise<'revoked' | 'absent'> {
  originQueries.inc({ operation: 'counters.revoke' });
  const [row] = await prisma.$queryRaw<{ revoked: number }[]>`
    WITH gone AS (
      DELETE FROM "AppliedBatch" WHERE "id" = ${key} RETURNING "increments"
    ), updated AS (
      UPDATE "ProductCounter" SET "sold" = "sold" - (SELECT sum("increments") FROM gone), "updatedAt" = now()
       WHERE "sku" = ${sku} AND EXISTS (SELECT 1 FROM gone)
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone)::int AS revoked`;
  return row?.revoked === 1 ? 'revoked' : 'absent';
}

/** Deletes AppliedBatch rows older than the retention; returns how many. */
export async function pruneAppliedBatches(prisma: Prisma, retentionHours: number): Promise<number> {
  originQueries.inc({ operation: 'counters.prune' });
  return prisma.$executeRaw`DELETE FROM "AppliedBatch" WHERE "appliedAt" < now() - make_interval(hours => ${retentionHours}::int)`;
}
