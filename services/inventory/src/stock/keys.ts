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
  /** Postgres' record of the SKU, written in chunks for one load or reconcile (see stock-store.ts). */
  staged(token: string): { reserved: string; released: string };
}

function keysIn(namespace: string, sku: string): SkuKeys {
  const base = `${namespace}:{${sku}}`;
  return {
    stock: `${base}:stock`,
    reservations: `${base}:reservations`,
    released: `${base}:released`,
    total: `${base}:total`,
    staged: (token) => ({ reserved: `${base}:staged:${token}:reserved`, released: `${base}:staged:${token}:released` }),
  };
}

export function stockKeys(sku: string): SkuKeys {
  return keysIn('inv', sku);
}

/** The /lab keys: the same shape in another namespace, so teaching runs never touch real stock. */
export function labKeys(sku: string): SkuKeys {
  return keysIn('lab', sku);
}
