import type { Attributes, Product } from '../db/products';

/** What the API answers and the cache holds: plain JSON, dates as ISO strings. */
export interface ProductView {
  id: number;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  categoryId: number;
  attributes: Attributes;
  tags: string[];
  /** The row version: incremented by every update. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export const toProductView = (product: Product): ProductView => ({
  id: product.id,
  sku: product.sku,
  name: product.name,
  description: product.description,
  priceCents: product.priceCents,
  categoryId: product.categoryId,
  attributes: product.attributes as Attributes,
  tags: product.tags,
  version: product.version,
  createdAt: product.createdAt.toISOString(),
  updatedAt: product.updatedAt.toISOString(),
});
