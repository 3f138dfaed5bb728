import { originQueries } from '@cachelab/telemetry';
import { Prisma as Sql } from '../generated/prisma/client';
import type { Prisma } from './client';

/** A product as listed on a page: enough to render a tile, not the whole record. */
export interface ProductSummary {
  id: number;
  sku: string;
  name: string;
  priceCents: number;
  categoryId: number;
  tags: string[];
}

export interface CategoryPage {
  category: { id: number; slug: string; name: string };
  page: number;
  pageSize: number;
  /** Products in the category. */
  total: number;
  products: ProductSummary[];
}

export interface SearchPage {
  /** The normalised query the results are for. */
  query: string;
  page: number;
  pageSize: number;
  total: number;
  products: ProductSummary[];
}

interface PageRow {
  id: number;
  slug: string;
  name: string;
  total: number;
  products: ProductSummary[];
}

/**
 * One page of a category, in name order, with the category's product count: one statement, so the
 * page and its count come from one snapshot. Null when the category does not exist.
 */
export async function selectCategoryPage(prisma: Prisma, categoryId: number, page: number, pageSize: number): Promise<CategoryPage | null> {
  originQueries.inc({ operation: 'category.page' });
  const offset = (page - 1) * pageSize;
  const [row] = await prisma.$queryRaw<PageRow[]>`
    SELECT c.id, c.slug, c.name,
           (SELECT count(*) FROM "Product" p WHERE p."categoryId" = c.id)::int AS total,
           (SELECT COALESCE(json_agg(x ORDER BY x.name, x.id), '[]'::json)
              FROM (SELECT p.id, p.sku, p.name, p."priceCents", p."categoryId", p.tags
                      FROM "Product" p
                     WHERE p."categoryId" = c.id
                     ORDER BY p.name, p.id
                     LIMIT ${pageSize} OFFSET ${offset}) x) AS products
      FROM "Category" c
     WHERE c.id = ${categoryId}`;
  if (!row) return null;
  return { category: { id: row.id, slug: row.slug, name: row.name }, page, pageSize, total: row.total, products: row.products };
}

/**
 * Products whose name or description has a word starting with each term (case-insensitive), in
 * name order. Terms are letters and digits only (see normaliseText). A regex over every product:
 * this is what makes search worth caching.
 */
export async function searchProducts(prisma: Prisma, query: string, page: number, pageSize: number): Promise<SearchPage> {
  originQueries.inc({ operation: 'product.search' });
  const terms = query.split(' ').filter(Boolean);
  const matches = Sql.join(
    // \m: the term starts a word ("red" finds "red", not "covered"). Terms hold no regex syntax.
    terms.map((term) => Sql.sql`(p.name ~* ${`\\m${term}`} OR p.description ~* ${`\\m${term}`})`),
    ' AND ',
  );
  const offset = (page - 1) * pageSize;
  const [row] = await prisma.$queryRaw<{ total: number; products: ProductSummary[] }[]>`
    WITH matches AS (
      SELECT p.id, p.sku, p.name, p."priceCents", p."categoryId", p.tags FROM "Product" p WHERE ${matches}
    )
    SELECT (SELECT count(*) FROM matches)::int AS total,
           (SELECT COALESCE(json_agg(x ORDER BY x.name, x.id), '[]'::json)
              FROM (SELECT * FROM matches ORDER BY name, id LIMIT ${pageSize} OFFSET ${offset}) x) AS products`;
  return { query, page, pageSize, total: row?.total ?? 0, products: row?.products ?? [] };
}
