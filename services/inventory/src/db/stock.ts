import { originQueries } from '@cachelab/telemetry';
import { Prisma as PrismaNamespace } from '../generated/prisma/client';
import type { OrderEntry, SkuRecord } from '../stock/stock-store';
import type { Prisma } from './client';

// The durable record of stock. Every function is one trip to Postgres and counts itself in
// cachelab_origin_queries_total.

interface RecordRow {
  sku: string;
  total: number;
  orderId: string | null;
  qty: number | null;
  status: 'reserved' | 'released' | null;
  atMs: number | null;
}

/**
 * The Postgres record of the given SKUs (or of every SKU): total and every reservation, as the
 * load and reconcile scripts take them. SKUs without a Stock row are absent from the map.
 */
export async function skuRecords(prisma: Prisma, skus?: string[]): Promise<Map<string, SkuRecord>> {
  originQueries.inc({ operation: 'stock.records' });
  const filter = skus === undefined ? PrismaNamespace.empty : PrismaNamespace.sql`WHERE s.sku = ANY(${skus})`;
  const rows = await prisma.$queryRaw<RecordRow[]>`
    SELECT s.sku, s.total, r."orderId", r.qty, r.status::text AS status,
           (extract(epoch FROM COALESCE(r."releasedAt", r."createdAt")) * 1000)::float8 AS "atMs"
      FROM "Stock" s LEFT JOIN "Reservation" r ON r.sku = s.sku
      ${filter}`;
  const records = new Map<string, SkuRecord>();
  for (const row of rows) {
    let record = records.get(row.sku);
    if (record === undefined) records.set(row.sku, (record = { total: row.total, reserved: [], released: [] }));
    if (row.orderId === null) continue;
    const entry: OrderEntry = { orderId: row.orderId, qty: row.qty!, atMs: Math.floor(row.atMs!) };
    (row.status === 'released' ? record.released : record.reserved).push(entry);
  }
  return records;
}

export async function skuRecord(prisma: Prisma, sku: string): Promise<SkuRecord | null> {
  return (await skuRecords(prisma, [sku])).get(sku) ?? null;
}

/** Every SKU with a Stock row, in SKU order. */
export async function allSkus(prisma: Prisma): Promise<string[]> {
  originQueries.inc({ operation: 'stock.skus' });
  const rows = await prisma.stock.findMany({ select: { sku: true } });
  return rows.map((row) => row.sku).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
}

/** Stock row and the units its live reservations hold: the fallback answer of GET /stock. */
export async function stockFromDatabase(prisma: Prisma, sku: string): Promise<{ total: number; reserved: number } | null> {
  originQueries.inc({ operation: 'stock.find' });
  const rows = await prisma.$queryRaw<{ total: number; reserved: number }[]>`
    SELECT s.total, COALESCE(sum(r.qty) FILTER (WHERE r.status = 'reserved'), 0)::int AS reserved
      FROM "Stock" s LEFT JOIN "Reservation" r ON r.sku = s.sku
     WHERE s.sku = ${sku}
     GROUP BY s.total`;
  return rows[0] ?? null;
}

/** Raises a SKU's total, creating its Stock row on its first restock. Returns the new total. */
export async function addStock(prisma: Prisma, sku: string, qty: number): Promise<number> {
  originQueries.inc({ operation: 'stock.restock' });
  const rows = await prisma.$queryRaw<{ total: number }[]>`
    INSERT INTO "Stock" (sku, total, "updatedAt") VALUES (${sku}, ${qty}, now())
    ON CONFLICT (sku) DO UPDATE SET total = "Stock".total + EXCLUDED.total, "updatedAt" = now()
    RETURNING total`;
  return rows[0]!.total;
}

/**
 * Records a reservation the reserve script made. Idempotent: a replay (the client retrying after
 * a crash between the script and this insert) inserts the missing row, a second one changes nothing.
 */
export async function recordReservation(prisma: Prisma, line: { orderId: string; sku: string; qty: number }): Promise<void> {
  originQueries.inc({ operation: 'reservation.insert' });
  await prisma.reservation.createMany({ data: [line], skipDuplicates: true });
}

/** Marks a reservation released; false when there was no reserved row (unknown, or already released). */
export async function recordRelease(prisma: Prisma, sku: string, orderId: string): Promise<boolean> {
  originQueries.inc({ operation: 'reservation.release' });
  const { count } = await prisma.reservation.updateMany({
    where: { sku, orderId, status: 'reserved' },
    data: { status: 'released', releasedAt: new Date() },
  });
  return count > 0;
}

/** Marks several rows of one SKU released (reconciliation: Redis released them first). */
export async function recordReleases(prisma: Prisma, sku: string, orderIds: string[]): Promise<number> {
  if (orderIds.length === 0) return 0;
  originQueries.inc({ operation: 'reservation.release' });
  const { count } = await prisma.reservation.updateMany({
    where: { sku, orderId: { in: orderIds }, status: 'reserved' },
    data: { status: 'released', releasedAt: new Date() },
  });
  return count;
}

/** Deletes a reservation a failed order is taking back (compensation); nobody was told it succeeded. */
export async function forgetReservation(prisma: Prisma, sku: string, orderId: string): Promise<void> {
  originQueries.inc({ operation: 'reservation.delete' });
  await prisma.reservation.deleteMany({ where: { sku, orderId, status: 'reserved' } });
}

/**
 * Deletes up to `limit` released reservations older than the retention, oldest first; returns
 * which (sku, orderId) went, so that Redis forgets them too. Reserved rows are never pruned.
 */
export async function pruneReleasedReservations(prisma: Prisma, retentionHours: number, limit: number): Promise<{ sku: string; orderId: string }[]> {
  originQueries.inc({ operation: 'reservation.prune' });
  return prisma.$queryRaw<{ sku: string; orderId: string }[]>`
    DELETE FROM "Reservation" WHERE "id" IN (
      SELECT "id" FROM "Reservation"
       WHERE "status" = 'released' AND "releasedAt" < now() - make_interval(hours => ${retentionHours}::int)
       ORDER BY "releasedAt" LIMIT ${limit}
    )
    RETURNING "sku", "orderId"`;
}
