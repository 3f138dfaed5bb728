import { CacheAttributes, type Logger } from '@cachelab/telemetry';
import type { CatalogClient } from '../catalog/catalog-client';
import type { Prisma } from '../db/client';
import { addStock, forgetReservation, recordRelease, recordReservation, stockFromDatabase } from '../db/stock';
import type { Sale } from '../extension';
import {
  DatabaseUnavailableError,
  InsufficientStockError,
  OrderConflictError,
  ReservationReleasedError,
  StockError,
  StockUnavailableError,
  UnknownReservationError,
  UnknownSkuError,
} from './errors';
import type { StockLoader } from './stock-loader';
import { stockSpan } from './tracing';
import type { ScriptResult, StockStore } from './stock-store';

export interface OrderLine {
  sku: string;
  qty: number;
}

export interface Reserved {
  sku: string;
  orderId: string;
  qty: number;
  /** Units of the SKU left after this reservation. */
  available: number;
  /** True when the order already held these units (a retry): nothing was taken this time. */
  replayed: boolean;
}

export interface Released {
  sku: string;
  orderId: string;
  qty: number;
  available: number;
  replayed: boolean;
}

export interface StockLevel {
  sku: string;
  available: number;
  /** `redis`: the live count; `database`: Redis is unreachable, computed from Postgres' record. */
  source: 'redis' | 'database';
}

export interface CompensationReport {
  /** Lines taken back: their units are free again and the order id may be retried. */
  undone: OrderLine[];
  /** Lines that could not be taken back (Postgres or Redis down): still held, a retry of the order settles them. */
  held: OrderLine[];
}

/** A multi-SKU order failed on one line; the lines reserved before it were compensated. */
export class OrderFailedError extends Error {
  override readonly name = 'OrderFailedError';
  constructor(
    readonly orderId: string,
    readonly failedSku: string,
    readonly reason: StockError,
    readonly compensation: CompensationReport,
  ) {
    super(`order ${orderId} failed on ${failedSku}: ${reason.message}`);
  }
}

export interface ReservationsDeps {
  store: StockStore;
  loader: StockLoader;
  prisma: Prisma;
  catalog: CatalogClient;
  /** Counts units sold (the write-behind counters); a failure is logged, not fatal. */
  recordSale(sale: Sale): Promise<void>;
  /** Takes a counted sale back (compensation); a failure is logged, not fatal. */
  revokeSale(sale: Sale): Promise<void>;
  logger: Logger;
}

/**
 * Reservations, releases and restocks. Redis decides (one script per SKU, atomic); Postgres
 * records. The order of the two writes is chosen so that every crash window leaves units held
 * rather than handed out twice (docs/patterns/idempotency.md):
 *   reserve  = script, then insert the row, then answer;
 *   release  = update the row, then script, then answer;
 *   restock  = update the total, then script.
 */
export class Reservations {
  constructor(private readonly deps: ReservationsDeps) {}

  /** One SKU for one order, at most once per (orderId, SKU). */
  async reserve(sku: string, orderId: string, qty: number): Promise<Reserved> {
    const attributes = { [CacheAttributes.pattern]: 'lua-atomic', 'inventory.sku': sku, 'inventory.order_id': orderId, 'inventory.qty': qty };
    return stockSpan('inventory.reserve', attributes, async (span) => {
      await this.checkCatalog(sku);
      const reserved = await this.reserveLine(orderId, { sku, qty });
      span.setAttribute('inventory.replayed', reserved.replayed);
      span.setAttribute(CacheAttributes.result, reserved.replayed ? 'replayed' : 'reserved');
      return reserved;
    });
  }

  /**
   * Several SKUs, all or nothing. They live in different slots (different hash tags), so no one
   * script covers them: each line is reserved on its own and, when one fails, the lines already
   * reserved are taken back (compensation). @throws OrderFailedError, UnknownSkuError, CatalogUnavailableError
   */
  async placeOrder(orderId: string, lines: OrderLine[]): Promise<Reserved[]> {
    return stockSpan('inventory.order', { 'inventory.order_id': orderId, 'inventory.lines': lines.length }, async (span) => {
      // Every SKU is checked before any is reserved: an unknown one costs no compensation.
      await Promise.all(lines.map((line) => this.checkCatalog(line.sku)));
      const reserved: Reserved[] = [];
      for (const line of lines) {
        try {
          reserved.push(await this.reserveLine(orderId, line));
        } catch (error) {
          // The failing line is taken back too unless the script certainly did not reserve it
          // (a Redis timeout may hide a script that ran; a failed insert leaves it held).
          const taken = DEFINITE_REFUSALS.some((type) => error instanceof type) ? reserved : [...reserved, { ...line, orderId }];
          const compensation = await this.compensate(orderId, taken);
          span.setAttribute('inventory.compensated', compensation.undone.length);
          if (!(error instanceof StockError)) throw error;
          throw new OrderFailedError(orderId, line.sku, error, compensation);
        }
      }
      return reserved;
    });
  }

  /** Gives the order's units of one SKU back, once. @throws UnknownReservationError, UnknownSkuError */
  async release(sku: string, orderId: string): Promise<Released> {
    return stockSpan('inventory.release', { 'inventory.sku': sku, 'inventory.order_id': orderId }, async () => {
      // Postgres first: a crash after it leaves the units held in Redis until a retry or the
      // reconciliation releases them there too; the other order could hand them out twice.
      await this.database('record the release', () => recordRelease(this.deps.prisma, sku, orderId));
      const result = await this.withLoad(sku, () => this.deps.store.release(sku, orderId));
      if (result.outcome === 'unknown') throw new UnknownReservationError(sku, orderId);
      return { sku, orderId, qty: result.qty, available: result.available, replayed: result.outcome === 'replay' };
    });
  }

  /**
   * Adds units. A SKU the catalog knows but inventory has no record of gets its first stock row.
   * Not idempotent: a restock retried after a lost answer adds twice (an operator action).
   */
  async restock(sku: string, qty: number): Promise<{ sku: string; total: number; available: number }> {
    return stockSpan('inventory.restock', { 'inventory.sku': sku, 'inventory.qty': qty }, async () => {
      await this.checkCatalog(sku);
      const total = await this.database('record the restock', () => addStock(this.deps.prisma, sku, qty));
      let available = await this.deps.store.restock(sku, qty, total);
      if (available === null) {
        // No stock key: rebuild it from Postgres, whose total already includes this restock.
        await this.deps.loader.loadSku(sku);
        available = (await this.deps.store.available(sku)) ?? 0;
      }
      return { sku, total, available };
    });
  }

  /** Live stock from Redis; Postgres' record when Redis cannot be reached. @throws UnknownSkuError */
  async level(sku: string): Promise<StockLevel> {
    try {
      let available = await this.deps.store.available(sku);
      if (available === null) {
        await this.deps.loader.loadSku(sku);
        available = (await this.deps.store.available(sku)) ?? 0;
      }
      return { sku, available, source: 'redis' };
    } catch (error) {
      if (!(error instanceof StockUnavailableError)) throw error;
      const record = await this.database('read the stock', () => stockFromDatabase(this.deps.prisma, sku));
      if (record === null) throw new UnknownSkuError(sku, 'stock');
      return { sku, available: record.total - record.reserved, source: 'database' };
    }
  }

  private async reserveLine(orderId: string, { sku, qty }: OrderLine): Promise<Reserved> {
    const result = await this.withLoad(sku, () => this.deps.store.reserve(sku, orderId, qty));
    switch (result.outcome) {
      case 'insufficient':
        throw new InsufficientStockError(sku, qty, result.available);
      case 'released':
        throw new ReservationReleasedError(sku, orderId);
      case 'replay':
        if (result.qty !== qty) throw new OrderConflictError(sku, orderId, result.qty, qty);
        break;
    }
    // Also on a replay: the first attempt may have died before this insert (it is idempotent).
    await this.database(`record the reservation (the units stay held; retry with orderId ${orderId})`, () =>
      recordReservation(this.deps.prisma, { orderId, sku, qty }),
    );
    // Also on a replay, for the same reason; recordSale is idempotent per (orderId, sku).
    await this.deps.recordSale({ orderId, sku, qty }).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, sku, orderId }, 'recordSale failed; the reservation stands');
    });
    return { sku, orderId, qty, available: result.available, replayed: result.outcome === 'replay' };
  }

  /**
   * Takes back what a failed order reserved, last line first: the Postgres row, then the Redis
   * reservation (a crash in between leaves an orphan in Redis, which reconciliation frees), then
   * the line's sale (units sold, top-sellers score). When
   * Postgres cannot be reached the line stays held in both stores, consistently.
   */
  private async compensate(orderId: string, lines: OrderLine[]): Promise<CompensationReport> {
    const report: CompensationReport = { undone: [], held: [] };
    for (const line of [...lines].reverse()) {
      try {
        await forgetReservation(this.deps.prisma, line.sku, orderId);
        await this.deps.store.undoReserve(line.sku, orderId);
        report.undone.push({ sku: line.sku, qty: line.qty });
        // The line's sale was counted when it was reserved (now or by an earlier attempt).
        await this.deps.revokeSale({ orderId, sku: line.sku, qty: line.qty }).catch((error: unknown) => {
          this.deps.logger.error({ err: error, orderId, sku: line.sku }, 'revoking the sale failed; its units stay counted as sold');
        });
      } catch (error) {
        this.deps.logger.error({ err: error, orderId, sku: line.sku }, 'compensation failed; the line stays held');
        report.held.push({ sku: line.sku, qty: line.qty });
      }
    }
    return report;
  }

  private async checkCatalog(sku: string): Promise<void> {
    if (!(await this.deps.catalog.hasProduct(sku))) throw new UnknownSkuError(sku, 'catalog');
  }

  /** Runs a script; when Redis has no stock key for the SKU, loads it from Postgres and runs it once more. */
  private async withLoad<O extends string>(
    sku: string,
    script: () => Promise<ScriptResult<O | 'not_loaded'>>,
  ): Promise<ScriptResult<Exclude<O, 'not_loaded'>>> {
    let result = await script();
    if (result.outcome === 'not_loaded') {
      await this.deps.loader.loadSku(sku);
      result = await script();
      if (result.outcome === 'not_loaded') throw new StockUnavailableError(new Error(`${sku}: stock key missing right after loading it`));
    }
    return result as ScriptResult<Exclude<O, 'not_loaded'>>;
  }

  private async database<T>(what: string, query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      throw new DatabaseUnavailableError(`Postgres could not ${what}`, error);
    }
  }
}

/** Outcomes in which the reserve script certainly took nothing for the failing line. */
const DEFINITE_REFUSALS = [InsufficientStockError, ReservationReleasedError, OrderConflictError, UnknownSkuError];

