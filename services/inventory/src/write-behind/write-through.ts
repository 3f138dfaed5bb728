import { originQueries } from '@cachelab/telemetry';
import type { Prisma } from '../db/client';
import { incrementsRecorded } from './metrics';

/**
 * A view written straight to Postgres, one statement per view: what write-behind replaces, run
 * when WRITE_BEHIND_ENABLED=false (the benchmarks' baseline, and a way to see the difference in
 * `cachelab_origin_queries_total`).
 */
export async function writeThroughView(prisma: Prisma, sku: string): Promise<void> {
  originQueries.inc({ operation: 'counters.write_through' });
  await prisma.$executeRaw`
    INSERT INTO "ProductCounter" ("sku", "views", "sold", "updatedAt") VALUES (${sku}, 1, 0, now())
    ON CONFLICT ("sku") DO UPDATE SET "views" = "ProductCounter"."views" + 1, "updatedAt" = now()`;
  incrementsRecorded.inc({ counter: 'views', store: 'database' });
}
