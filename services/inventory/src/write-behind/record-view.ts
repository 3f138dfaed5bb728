import { CacheAttributes, withSpan } from '@cachelab/telemetry';
import type { InventoryCounters } from './counters';
import { traceRefOf, WriteBehindAttributes } from './tracing';

/**
 * Counts one view of a SKU (validated and known to exist) in Redis. Rejects with
 * CacheUnavailableError when Redis cannot take it: the view is then not acknowledged (503), since
 * sending every view of an outage to Postgres one statement each is the load write-behind avoids.
 */
export function recordView(counters: InventoryCounters, sku: string): Promise<void> {
  return withSpan('write-behind.record', { [CacheAttributes.pattern]: 'write-behind', [WriteBehindAttributes.counter]: 'views', [WriteBehindAttributes.sku]: sku }, (span) =>
    counters.view(sku, traceRefOf(span)),
  );
}
