/**
 * Every key of one SKU shares the hash tag `{SKU-n}`, so they live in one Cluster slot and one
 * script may touch them all atomically. The SKU must be validated (SKU_PATTERN) first.
 */
export interface SkuKeys {
  /** Units available to reserve (a string integer). */
  stock: string;
  /** orderId -> "qty:createdAtMs" of the SKU's live reservations. */
  reservations: string;
  /** orderId -> "qty:releasedAtMs": released reservations, so a replay cannot reserve or release twice. */
  released: string;
  /** The Postgres total (units ever put on sale) that the live stock includes: restocks apply once. */
  total: string;
}

export function stockKeys(sku: string): SkuKeys {
  return { stock: `inv:{${sku}}:stock`, reservations: `inv:{${sku}}:reservations`, released: `inv:{${sku}}:released`, total: `inv:{${sku}}:total` };
}

/** The /lab keys: the same shape in another namespace, so teaching runs never touch real stock. */
export function labKeys(sku: string): SkuKeys {
  return { stock: `lab:{${sku}}:stock`, reservations: `lab:{${sku}}:reservations`, released: `lab:{${sku}}:released`, total: `lab:{${sku}}:total` };
}
