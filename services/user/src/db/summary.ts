import type { Prisma } from './client';

export interface UserSummary {
  userId: number;
  orderCount: number;
  lifetimeSpendCents: number;
  /** Rounded to the cent; 0 without orders. */
  averageOrderCents: number;
  /** Largest spend first. */
  spendByCategory: CategorySpend[];
  /** The last 12 calendar months (UTC), oldest first, months without orders included as 0. */
  spendByMonth: MonthSpend[];
  /** Share of all users, 0-100, whose lifetime spend is below this user's. */
  spendPercentile: number;
}

export interface CategorySpend {
  category: string;
  orderCount: number;
  spendCents: number;
}

export interface MonthSpend {
  /** `YYYY-MM`. */
  month: string;
  spendCents: number;
}

interface SummaryRow {
  order_count: number;
  lifetime_cents: number;
  users_below: number;
  users_total: number;
  categories: CategorySpend[];
  months: MonthSpend[];
}

/**
 * The whole summary in one statement, so its parts come from one snapshot. The per-user parts use
 * `Order_userId_idx`; the percentile needs every user's lifetime spend, an aggregate over the whole
 * Order table: that is what makes this endpoint expensive, and worth caching.
 * Sums are cast to float8: exact for integers below 2^53, and they arrive as numbers, not BigInt.
 */
export async function selectUserSummary(prisma: Prisma, userId: number): Promise<UserSummary | null> {
  const rows = await prisma.$queryRaw<SummaryRow[]>`
    WITH lifetime AS (
      SELECT u.id, COUNT(o.id) AS orders, COALESCE(SUM(o."amountCents"), 0) AS cents
        FROM "User" u LEFT JOIN "Order" o ON o."userId" = u.id
       GROUP BY u.id
    ),
    mine AS (
      SELECT orders, cents FROM lifetime WHERE id = ${userId}
    ),
    by_category AS (
      SELECT category, COUNT(*)::float8 AS "orderCount", SUM("amountCents")::float8 AS "spendCents"
        FROM "Order" WHERE "userId" = ${userId}
       GROUP BY category
    ),
    month_starts AS (
      SELECT generate_series(
               date_trunc('month', now() AT TIME ZONE 'UTC') - interval '11 months',
               date_trunc('month', now() AT TIME ZONE 'UTC'),
               interval '1 month') AS start
    ),
    by_month AS (
      SELECT to_char(m.start, 'YYYY-MM') AS month, COALESCE(SUM(o."amountCents"), 0)::float8 AS "spendCents"
        FROM month_starts m
        LEFT JOIN "Order" o
          ON o."userId" = ${userId}
         AND o."createdAt" >= m.start AT TIME ZONE 'UTC'
         AND o."createdAt" < (m.start + interval '1 month') AT TIME ZONE 'UTC'
       GROUP BY m.start
    )
    SELECT mine.orders::float8 AS order_count,
           mine.cents::float8 AS lifetime_cents,
           (SELECT COUNT(*) FILTER (WHERE l.cents < mine.cents) FROM lifetime l)::float8 AS users_below,
           (SELECT COUNT(*) FROM lifetime)::float8 AS users_total,
           (SELECT COALESCE(json_agg(c ORDER BY c."spendCents" DESC, c.category), '[]'::json) FROM by_category c) AS categories,
           (SELECT json_agg(b ORDER BY b.month) FROM by_month b) AS months
      FROM mine`;
  const row = rows[0];
  if (row === undefined) return null;
  return {
    userId,
    orderCount: row.order_count,
    lifetimeSpendCents: row.lifetime_cents,
    averageOrderCents: row.order_count === 0 ? 0 : Math.round(row.lifetime_cents / row.order_count),
    spendByCategory: row.categories,
    spendByMonth: row.months,
    spendPercentile: Math.round((1000 * row.users_below) / row.users_total) / 10,
  };
}
