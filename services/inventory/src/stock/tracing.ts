import type { Attributes, Span } from '@opentelemetry/api';
import { recordError, tracer } from '@cachelab/telemetry';
import { CatalogUnavailableError, DatabaseUnavailableError, StockError, StockUnavailableError } from './errors';

/** Dependency failures fail a span; a refusal (sold out, unknown SKU, replayed order id) is an answer. */
function isFailure(error: unknown): boolean {
  if (!(error instanceof StockError)) return true;
  return error instanceof CatalogUnavailableError || error instanceof DatabaseUnavailableError || error instanceof StockUnavailableError;
}

/**
 * Like withSpan, but a refusal is recorded as `inventory.outcome` (e.g. `insufficient_stock`)
 * rather than as a failed span with an exception: in a flash sale most buyers are refused, and
 * a trace view full of red spans would hide the real failures.
 */
export function stockSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      const result = await fn(span);
      span.setAttribute('inventory.outcome', 'ok');
      return result;
    } catch (error) {
      if (isFailure(error)) recordError(span, error);
      span.setAttribute('inventory.outcome', error instanceof StockError ? error.code : 'error');
      throw error;
    } finally {
      span.end();
    }
  });
}
