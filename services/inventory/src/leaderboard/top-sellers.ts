import type { RankEntry } from '@cachelab/cache';
import { originQueries } from '@cachelab/telemetry';
import type { Prisma } from '../db/client';
import type { InventoryCounters } from '../write-behind/counters';

export interface TopSellers {
  /** `redis`: the live ranking (every acknowledged sale); `database`: persisted totals only, while Redis is unavailable. */
  source: 'redis' | 'database';
  items: { rank: number; sku: string; sold: number }[];
}

/**
 * The best-selling SKUs. The ranking is a sorted set per write-behind shard, bumped by the very
 * script that counts a sale, so it never disagrees with the counters; the per-shard tops merge
 * into the exact global top because a SKU lives in one shard only. When Redis cannot answer,
 * Postgres can: its totals lag by the pending part (about one flush interval).
 */
export async function topSellers(counters: InventoryCounters, prisma: Prisma, limit: number): Promise<TopSellers> {
  let entries: RankEntry[];
  let source: TopSellers['source'] = 'redis';
  try {
    entries = await counters.topSellers(limit);
  } catch {
    source = 'database';
    originQueries.inc({ operation: 'counters.top_sellers' });
    const rows = await prisma.productCounter.findMany({
      where: { sold: { gt: 0 } },
      orderBy: [{ sold: 'desc' }, { sku: 'asc' }],
      take: limit,
      select: { sku: true, sold: true },
    });
    entries = rows.map((row) => ({ id: row.sku, score: Number(row.sold) }));
  }
  return { source, items: entries.map((entry, i) => ({ rank: i + 1, sku: entry.id, sold: entry.score })) };
}
