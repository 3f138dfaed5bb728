import { intId } from '@cachelab/http-kit';
import { z } from 'zod';

// Request validation. Bodies use z.strictObject: an unknown field is a 400, not silently dropped.

/** SKUs become part of cache keys (`sku:{SKU-1}:id`): only characters that are safe there. */
export const sku = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected 1-64 letters, digits, ".", "_" or "-" (e.g. SKU-42)');
const name = z.string().trim().min(1).max(200);
const description = z.string().max(5_000);
/** Cents, so no rounding: 0 up to 1,000,000.00. */
const priceCents = z.int().min(0).max(100_000_000);
const attributeValue = z.union([z.string().max(200), z.number().refine(Number.isFinite, 'expected a finite number'), z.boolean()]);
const attributes = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'expected an attribute name of letters, digits and "_"'), attributeValue)
  .refine((value) => Object.keys(value).length <= 20, 'at most 20 attributes');
/** Tags become part of cache keys too (`tag:{brand-acme}:keys`). */
export const tag = z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'expected a tag of lower-case letters, digits and "-" (e.g. brand-acme)');
const tags = z
  .array(tag)
  .max(10)
  .transform((list) => [...new Set(list)]);

export const idParams = z.object({ id: intId() });
export const skuParams = z.object({ sku });
export const tagParams = z.object({ tag });

export const newProduct = z.strictObject({
  sku,
  name,
  description: description.default(''),
  priceCents,
  categoryId: intId(),
  attributes: attributes.default({}),
  tags: tags.default([]),
});

export const productChanges = z
  .strictObject({
    name: name.optional(),
    description: description.optional(),
    priceCents: priceCents.optional(),
    categoryId: intId().optional(),
    attributes: attributes.optional(),
    tags: tags.optional(),
  })
  .refine((changes) => Object.keys(changes).length > 0, 'expected at least one of: name, description, priceCents, categoryId, attributes, tags');

/** `?page=N`, 1-based, canonical digits only (the number becomes part of a cache key). */
export const page = z
  .string()
  .regex(/^[1-9][0-9]{0,3}$/, 'expected a page number from 1 to 9999')
  .transform(Number)
  .default(1);

export const pageQuery = z.strictObject({ page });
export const searchQuery = z.strictObject({ q: z.string().min(1, 'expected a search text').max(200), page });
