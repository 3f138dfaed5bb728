import type { CacheRepair, RepairLog } from '@cachelab/cache';
import { originQueries } from '@cachelab/telemetry';
import type { Prisma } from './client';

interface RepairRow {
  namespace: string;
  kind: string;
  entityId: string;
  rowVersion: number;
}

const toRepair = (row: RepairRow): CacheRepair => ({ namespace: row.namespace, kind: row.kind, id: row.entityId, rowVersion: row.rowVersion });
const asJson = (repairs: readonly CacheRepair[]) =>
  JSON.stringify(repairs.map((r) => ({ namespace: r.namespace, kind: r.kind, entityId: r.id, rowVersion: r.rowVersion })));

const RECORDSET = `jsonb_to_recordset($1::jsonb) AS r(namespace text, kind text, "entityId" text, "rowVersion" int)`;

/**
 * The write-through repair log in the catalog's own database (table CacheRepair). Written only
 * when a cache write failed after a commit, so the happy path pays nothing for it; drained by
 * every instance with FOR UPDATE SKIP LOCKED, so two instances never apply the same rows at once.
 */
export class PostgresRepairLog implements RepairLog {
  constructor(private readonly prisma: Prisma) {}

  async record(repairs: readonly CacheRepair[]): Promise<void> {
    if (repairs.length === 0) return;
    originQueries.inc({ operation: 'cache-repair.record' });
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO "CacheRepair" (namespace, kind, "entityId", "rowVersion")
       SELECT namespace, kind, "entityId", max("rowVersion") FROM ${RECORDSET} GROUP BY 1, 2, 3
       ON CONFLICT (namespace, kind, "entityId")
       DO UPDATE SET "rowVersion" = GREATEST("CacheRepair"."rowVersion", EXCLUDED."rowVersion")`,
      asJson(repairs),
    );
  }

  async drain(limit: number, apply: (repairs: CacheRepair[]) => Promise<CacheRepair[]>): Promise<number> {
    return this.prisma.$transaction(
      async (tx) => {
        originQueries.inc({ operation: 'cache-repair.claim' });
        const claimed = await tx.$queryRaw<RepairRow[]>`
          SELECT namespace, kind, "entityId", "rowVersion" FROM "CacheRepair"
           ORDER BY "recordedAt" LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
        if (claimed.length === 0) return 0;
        const applied = await apply(claimed.map(toRepair));
        if (applied.length === 0) return 0;
        originQueries.inc({ operation: 'cache-repair.done' });
        // A newer repair recorded meanwhile (higher version) waited on our row lock and stays.
        await tx.$executeRawUnsafe(
          `DELETE FROM "CacheRepair" c USING ${RECORDSET}
            WHERE c.namespace = r.namespace AND c.kind = r.kind AND c."entityId" = r."entityId"
              AND c."rowVersion" <= r."rowVersion"`,
          asJson(applied),
        );
        return applied.length;
      },
      { timeout: 30_000 },
    );
  }

  async outstanding(repairs: CacheRepair[]): Promise<CacheRepair[]> {
    if (repairs.length === 0) return [];
    originQueries.inc({ operation: 'cache-repair.outstanding' });
    const rows = await this.prisma.$queryRawUnsafe<RepairRow[]>(
      `SELECT c.namespace, c.kind, c."entityId", c."rowVersion" FROM "CacheRepair" c
         JOIN ${RECORDSET} ON c.namespace = r.namespace AND c.kind = r.kind AND c."entityId" = r."entityId"`,
      asJson(repairs),
    );
    return rows.map(toRepair);
  }

  /** Every recorded repair (tests, and a look at what is outstanding). */
  async all(): Promise<CacheRepair[]> {
    return (await this.prisma.$queryRaw<RepairRow[]>`SELECT namespace, kind, "entityId", "rowVersion" FROM "CacheRepair"`).map(toRepair);
  }
}
