import { CacheAttributes, withSpan, type Logger } from '@cachelab/telemetry';
import { z } from 'zod';
import type { Prisma } from '../db/client';
import { orderId, quantity, sku } from '../stock/validation';
import { applyBatch, revokeInDatabase } from './apply-batch';
import { saleKey, type InventoryCounters } from './counters';
import { incrementsRecorded } from './metrics';
import { traceRefOf, WriteBehindAttributes } from './tracing';

export interface SaleLine {
  orderId: string;
  sku: string;
  qty: number;
}

/**
 * counted              counted in Redis (pending sold + top-sellers score + idempotency marker, one script)
 * duplicate            this (orderId, SKU) had already counted: nothing changed
 * counted-in-database  Redis was unavailable: written straight to Postgres instead (not ranked)
 */
export type SaleOutcome = 'counted' | 'duplicate' | 'counted-in-database';

export interface RecordSaleDeps {
  counters: InventoryCounters;
  prisma: Prisma;
  logger: Logger;
  maxQty: number;
}

/**
 * Counts the units of one sale line, once per (orderId, SKU). The stock side calls it after a
 * first-time reservation, and again when a replayed reservation heals a crash window.
 *
 * A sale is a business fact, not a page view: when Redis cannot count it, it goes to Postgres
 * directly, as a one-line batch whose id is the sale's own key (`saleKey`), so a replay of the
 * fallback applies once too. It then misses the top-sellers ranking (see docs/patterns/leaderboard.md).
 *
 * Both paths honour that one identity: the Redis path carries the key with the increment into its
 * batch, and the flush skips a sale whose key Postgres already holds. So a sale counts once even
 * when Redis ran the script but its reply timed out (the fallback then counted it too), and when
 * a replay takes the other path than the first attempt.
 */
export async function recordSale(deps: RecordSaleDeps, line: SaleLine): Promise<SaleOutcome> {
  const sale = z.strictObject({ orderId, sku, qty: quantity(deps.maxQty) }).parse(line);
  return withSpan('write-behind.record', { [CacheAttributes.pattern]: 'write-behind', [WriteBehindAttributes.counter]: 'sold', [WriteBehindAttributes.sku]: sale.sku }, async (span) => {
    let outcome: SaleOutcome;
    if (!deps.counters.config.WRITE_BEHIND_ENABLED) {
      outcome = await saleToDatabase(deps, sale);
    } else {
      try {
        outcome = (await deps.counters.sale(sale.orderId, sale.sku, sale.qty, traceRefOf(span))) ? 'counted' : 'duplicate';
      } catch (error) {
        deps.logger.warn({ err: error, sku: sale.sku, orderId: sale.orderId }, 'write-behind Redis unavailable: sale written to Postgres directly');
        outcome = await saleToDatabase(deps, sale);
      }
    }
    span.setAttribute(WriteBehindAttributes.outcome, outcome);
    return outcome;
  });
}

/** One sale line as a one-line batch keyed by the sale itself: applied once, however often it is sent. */
async function saleToDatabase(deps: RecordSaleDeps, sale: SaleLine): Promise<SaleOutcome> {
  const result = await applyBatch(deps.prisma, {
    id: saleKey(sale.orderId, sale.sku),
    shard: deps.counters.engine.shardOf(sale.sku),
    deltas: [{ id: sale.sku, counter: 'sold', by: sale.qty }],
    increments: sale.qty,
    once: [],
    traces: [],
    rejected: [],
  });
  if (result === 'applied') incrementsRecorded.inc({ counter: 'sold', store: 'database' }, sale.qty);
  return result === 'applied' ? 'counted-in-database' : 'duplicate';
}

/**
 * revoked-pending   Redis still held it: withdrawn there (count, ranking, marker)
 * revoked-by-flush  a flush had claimed it: the next batch takes it back in Postgres
 * revoked           Postgres held it (the fallback counted it): taken back there
 * absent            nothing had counted it
 */
export type RevokeSaleOutcome = 'revoked-pending' | 'revoked-by-flush' | 'revoked' | 'absent';

/**
 * Takes back the sale of a line that a failed order's compensation returned to stock: its units
 * sold and its top-sellers score, wherever it was counted, so that the order id may count again
 * when it is retried. Rejects when Redis or Postgres cannot be asked (the sale then stays counted).
 */
export async function revokeSale(deps: RecordSaleDeps, line: SaleLine): Promise<RevokeSaleOutcome> {
  const sale = z.strictObject({ orderId, sku, qty: quantity(deps.maxQty) }).parse(line);
  return withSpan('write-behind.revoke', { [CacheAttributes.pattern]: 'write-behind', [WriteBehindAttributes.counter]: 'sold', [WriteBehindAttributes.sku]: sale.sku }, async (span) => {
    let outcome: RevokeSaleOutcome = 'absent';
    const inRedis = deps.counters.config.WRITE_BEHIND_ENABLED ? await deps.counters.revokeSale(sale.orderId, sale.sku, sale.qty) : 'absent';
    if (inRedis === 'revoked') outcome = 'revoked-by-flush';
    else {
      // Withdrawn from Redis or never there: the fallback may have counted it in Postgres as well.
      const inDatabase = await revokeInDatabase(deps.prisma, saleKey(sale.orderId, sale.sku), sale.sku);
      outcome = inDatabase === 'revoked' ? 'revoked' : inRedis === 'withdrawn' ? 'revoked-pending' : 'absent';
    }
    span.setAttribute(WriteBehindAttributes.outcome, outcome);
    return outcome;
  });
}
