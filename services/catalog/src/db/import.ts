import { originQueries } from '@cachelab/telemetry';
import type { Prisma } from './client';
import { UnknownCategoryError } from './errors';
import type { NewProduct } from './products';

/** What an import did to one row: enough to drop its cache entries and bump its categories. */
export interface ImportedRow {
  id: number;
  sku: string;
  version: number;
  categoryId: number;
  /** The category before an update moved it; equal to `categoryId` otherwise. */
  previousCategoryId: number;
  created: boolean;
}

// One statement per chunk: the chunk travels as one JSON parameter and is upserted by SKU. The
// `previous` CTE reads the rows as they were before the statement (same snapshot), which gives
// the category an update moves a product out of.
const UPSERT_CHUNK = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb)
    AS x(sku text, name text, description text, "priceCents" int, "categoryId" int, attributes jsonb, tags jsonb)
),
previous AS (
  SELECT p.sku, p."categoryId" FROM "Product" p JOIN input i ON i.sku = p.sku
),
upserted AS (
  INSERT INTO "Product" (sku, name, description, "priceCents", "categoryId", attributes, tags, "updatedAt")
  SELECT sku, name, description, "priceCents", "categoryId", attributes,
         ARRAY(SELECT jsonb_array_elements_text(tags)), now()
    FROM input
  ON CONFLICT (sku) DO UPDATE
     SET name = EXCLUDED.name, description = EXCLUDED.description, "priceCents" = EXCLUDED."priceCents",
         "categoryId" = EXCLUDED."categoryId", attributes = EXCLUDED.attributes, tags = EXCLUDED.tags,
         version = "Product".version + 1, "updatedAt" = now()
  RETURNING id, sku, version, "categoryId", (xmax = 0) AS created
)
SELECT u.id, u.sku, u.version, u."categoryId", COALESCE(prev."categoryId", u."categoryId") AS "previousCategoryId", u.created
  FROM upserted u LEFT JOIN previous prev ON prev.sku = u.sku`;

/**
 * Upserts products by SKU in chunks of `chunkSize` rows, all in one transaction: an import is
 * applied whole or not at all. The database only: write-around leaves the cache to the caller.
 * SKUs must be unique within `products` (Postgres refuses to upsert one row twice in a statement).
 * @throws UnknownCategoryError
 */
export async function importProducts(prisma: Prisma, products: readonly NewProduct[], chunkSize = 1000): Promise<ImportedRow[]> {
  const categoryIds = [...new Set(products.map((product) => product.categoryId))];
  return prisma.$transaction(
    async (tx) => {
      originQueries.inc({ operation: 'product.import.categories' });
      const known = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM "Category" WHERE id = ANY(${categoryIds}::int[])`;
      const unknown = categoryIds.filter((id) => !known.some((row) => row.id === id));
      if (unknown.length > 0) throw new UnknownCategoryError(unknown);

      const rows: ImportedRow[] = [];
      for (let start = 0; start < products.length; start += chunkSize) {
        originQueries.inc({ operation: 'product.import.chunk' });
        const chunk = JSON.stringify(products.slice(start, start + chunkSize));
        rows.push(...(await tx.$queryRawUnsafe<ImportedRow[]>(UPSERT_CHUNK, chunk)));
      }
      return rows;
    },
    { timeout: 120_000, maxWait: 10_000 },
  );
}
