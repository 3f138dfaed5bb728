import { originQueries } from '@cachelab/telemetry';
import { Prisma as PrismaNamespace, type Product } from '../generated/prisma/client';
import type { Prisma } from './client';
import { SkuTakenError, UnknownCategoryError } from './errors';

// Every function here counts each query it sends in cachelab_origin_queries_total, so that a
// run's database load can be read next to its hit ratio.

export type { Product };

export type Attributes = Record<string, string | number | boolean>;

export interface NewProduct {
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  categoryId: number;
  attributes: Attributes;
  tags: string[];
}

/** The SKU never changes: other services know the product by it. */
export type ProductChanges = Partial<Omit<NewProduct, 'sku'>>;

export interface UpdatedProduct {
  product: Product;
  /** The category before the change: its pages list the product too, until they are invalidated. */
  previousCategoryId: number;
}

export async function findProduct(prisma: Prisma, id: number): Promise<Product | null> {
  originQueries.inc({ operation: 'product.find' });
  return prisma.product.findUnique({ where: { id } });
}

export async function findProductIdBySku(prisma: Prisma, sku: string): Promise<number | null> {
  originQueries.inc({ operation: 'product.find-by-sku' });
  const row = await prisma.product.findUnique({ where: { sku }, select: { id: true } });
  return row?.id ?? null;
}

/** @throws SkuTakenError, UnknownCategoryError */
export async function createProduct(prisma: Prisma, data: NewProduct): Promise<Product> {
  originQueries.inc({ operation: 'product.create' });
  try {
    return await prisma.product.create({ data });
  } catch (error) {
    throw translate(error, data);
  }
}

/**
 * Applies `changes` and increments the row's version in the same UPDATE: the version orders the
 * cache writes of concurrent updates. Null when the product does not exist.
 * @throws UnknownCategoryError
 */
export async function updateProduct(prisma: Prisma, id: number, changes: ProductChanges): Promise<UpdatedProduct | null> {
  const data = { ...changes, version: { increment: 1 } };
  try {
    if (changes.categoryId === undefined) {
      originQueries.inc({ operation: 'product.update' });
      const product = await prisma.product.update({ where: { id }, data });
      return { product, previousCategoryId: product.categoryId };
    }
    // Moving to another category: read the old one under the row lock, so that two concurrent
    // moves each see the category the other left.
    return await prisma.$transaction(async (tx) => {
      originQueries.inc({ operation: 'product.lock' });
      const [before] = await tx.$queryRaw<{ categoryId: number }[]>`SELECT "categoryId" FROM "Product" WHERE id = ${id} FOR UPDATE`;
      if (!before) return null;
      originQueries.inc({ operation: 'product.update' });
      const product = await tx.product.update({ where: { id }, data });
      return { product, previousCategoryId: before.categoryId };
    });
  } catch (error) {
    if (isCode(error, 'P2025')) return null;
    throw translate(error, changes);
  }
}

/** The deleted row (its version, category, SKU and tags say what to invalidate), or null. */
export async function deleteProduct(prisma: Prisma, id: number): Promise<Product | null> {
  originQueries.inc({ operation: 'product.delete' });
  try {
    return await prisma.product.delete({ where: { id } });
  } catch (error) {
    if (isCode(error, 'P2025')) return null;
    throw error;
  }
}

/** Every product id, in batches by keyset pagination (the Bloom filter's rebuild source). */
export async function* productIdBatches(prisma: Prisma, batchSize: number): AsyncGenerator<number[]> {
  let after = 0;
  for (;;) {
    originQueries.inc({ operation: 'product.ids' });
    const rows = await prisma.product.findMany({ where: { id: { gt: after } }, select: { id: true }, orderBy: { id: 'asc' }, take: batchSize });
    if (rows.length === 0) return;
    yield rows.map((row) => row.id);
    after = rows[rows.length - 1]!.id;
  }
}

/** Categories of the products carrying `tag`: their pages show those products. */
export async function categoriesWithTag(prisma: Prisma, tag: string): Promise<number[]> {
  originQueries.inc({ operation: 'product.categories-with-tag' });
  const rows = await prisma.$queryRaw<{ categoryId: number }[]>`
    SELECT DISTINCT "categoryId" FROM "Product" WHERE tags @> ARRAY[${tag}]::text[]`;
  return rows.map((row) => row.categoryId);
}

export function isCode(error: unknown, code: string): error is PrismaNamespace.PrismaClientKnownRequestError {
  return error instanceof PrismaNamespace.PrismaClientKnownRequestError && error.code === code;
}

// A product write can violate two constraints: Product_sku_key and Product_categoryId_fkey.
function translate(error: unknown, data: Partial<NewProduct>): unknown {
  if (isCode(error, 'P2002') && data.sku !== undefined) return new SkuTakenError(data.sku);
  if (isCode(error, 'P2003') && data.categoryId !== undefined) return new UnknownCategoryError([data.categoryId]);
  return error;
}
