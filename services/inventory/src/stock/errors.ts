/** Why a reservation, release or restock did not happen; http/stock-errors.ts maps each to a status. */
export abstract class StockError extends Error {
  abstract readonly code: string;
}

/** The catalog does not know the SKU, or inventory has no stock record for it. */
export class UnknownSkuError extends StockError {
  override readonly name = 'UnknownSkuError';
  readonly code = 'unknown_sku';
  constructor(readonly sku: string, reason: 'catalog' | 'stock') {
    super(reason === 'catalog' ? `${sku} is not in the catalog` : `${sku} has no stock record`);
  }
}

export class InsufficientStockError extends StockError {
  override readonly name = 'InsufficientStockError';
  readonly code = 'insufficient_stock';
  constructor(readonly sku: string, readonly requested: number, readonly available: number) {
    super(`${sku}: ${requested} requested, ${available} available`);
  }
}

/** The order already reserved this SKU with another quantity: a retry must repeat the original. */
export class OrderConflictError extends StockError {
  override readonly name = 'OrderConflictError';
  readonly code = 'order_conflict';
  constructor(readonly sku: string, readonly orderId: string, readonly held: number, readonly requested: number) {
    super(`order ${orderId} already holds ${held} of ${sku}; it cannot reserve ${requested} instead`);
  }
}

/** The order's reservation of this SKU was released; an order id is not reserved twice. */
export class ReservationReleasedError extends StockError {
  override readonly name = 'ReservationReleasedError';
  readonly code = 'reservation_released';
  constructor(readonly sku: string, readonly orderId: string) {
    super(`order ${orderId}'s reservation of ${sku} was released; use a new orderId`);
  }
}

export class UnknownReservationError extends StockError {
  override readonly name = 'UnknownReservationError';
  readonly code = 'unknown_reservation';
  constructor(readonly sku: string, readonly orderId: string) {
    super(`order ${orderId} holds no reservation of ${sku}`);
  }
}

/** catalog-service did not answer in time, or answered with an error: a dependency failure. */
export class CatalogUnavailableError extends StockError {
  override readonly name = 'CatalogUnavailableError';
  readonly code = 'catalog_unavailable';
  constructor(readonly url: string, reason: string) {
    super(`catalog-service (${url}) is unavailable: ${reason}; the SKU could not be checked, nothing was reserved`);
  }
}

/**
 * Postgres did not record a reservation the reserve script made. The units stay held (the safe
 * direction): a retry with the same orderId records them, reconciliation frees them otherwise.
 */
export class DatabaseUnavailableError extends StockError {
  override readonly name = 'DatabaseUnavailableError';
  readonly code = 'database_unavailable';
  constructor(message: string, cause: unknown) {
    super(message, { cause });
  }
}

/** Redis could not be asked (down, timed out): the caller answers 503, never a guess. */
export class StockUnavailableError extends StockError {
  override readonly name = 'StockUnavailableError';
  readonly code = 'redis_unavailable';
  constructor(cause: unknown) {
    super(`the stock store (Redis) is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
