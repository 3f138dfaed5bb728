import { HttpError } from '@cachelab/http-kit';
import {
  CatalogUnavailableError,
  DatabaseUnavailableError,
  InsufficientStockError,
  OrderConflictError,
  ReservationReleasedError,
  StockError,
  StockUnavailableError,
  UnknownReservationError,
  UnknownSkuError,
} from '../stock/errors';
import { OrderFailedError } from '../stock/reservations';

function statusOf(error: StockError): number {
  if (error instanceof UnknownSkuError || error instanceof UnknownReservationError) return 404;
  if (error instanceof InsufficientStockError || error instanceof OrderConflictError || error instanceof ReservationReleasedError) return 409;
  if (error instanceof CatalogUnavailableError || error instanceof DatabaseUnavailableError || error instanceof StockUnavailableError) {
    return 503;
  }
  return 500;
}

function detailsOf(error: StockError): Record<string, unknown> | undefined {
  if (error instanceof InsufficientStockError) return { sku: error.sku, requested: error.requested, available: error.available };
  if (error instanceof OrderConflictError) return { sku: error.sku, held: error.held, requested: error.requested };
  if (error instanceof UnknownSkuError) return { sku: error.sku };
  return undefined;
}

/** Domain errors become HTTP errors; anything else is rethrown (a 500, logged with its stack). */
export function toStockHttpError(error: unknown): unknown {
  if (error instanceof OrderFailedError) {
    return new HttpError(statusOf(error.reason), error.reason.code, error.message, {
      failedSku: error.failedSku,
      ...detailsOf(error.reason),
      compensated: error.compensation.undone,
      stillHeld: error.compensation.held,
    });
  }
  if (error instanceof StockError) return new HttpError(statusOf(error), error.code, error.message, detailsOf(error));
  return error;
}
