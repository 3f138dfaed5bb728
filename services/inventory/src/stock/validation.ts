import { z } from 'zod';

/**
 * SKUs become part of Redis keys (`inv:{SKU-1}:stock`), so only the canonical form is accepted:
 * `SKU-` and a positive integer without leading zeros. Anything else ("sku-1", "SKU-01",
 * "SKU-1}x") is a 400 before a key is built.
 */
export const SKU_PATTERN = /^SKU-[1-9][0-9]{0,9}$/;

export const sku = z.string().regex(SKU_PATTERN, { error: 'expected a SKU such as SKU-42' });

/** Order ids become hash fields and Postgres values: printable, short, no separators to confuse. */
export const orderId = z
  .string({ error: 'expected an orderId string' })
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, { error: 'expected an orderId of 1-64 letters, digits, _ . : -' });

/**
 * A quantity: a JSON integer 1..max. Strings ("5"), fractions (1.5), zero, negatives and values
 * above `max` are all rejected, so a script never sees a quantity it would have to question.
 */
export function quantity(max: number) {
  return z.int({ error: 'expected an integer quantity' }).min(1, { error: 'quantity must be at least 1' }).max(max, {
    error: `quantity must be at most ${max}`,
  });
}

export const skuParams = z.strictObject({ sku });
