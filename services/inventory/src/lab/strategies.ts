import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@cachelab/redis';
import { labKeys } from '../stock/keys';
import { StockStore } from '../stock/stock-store';
import { StockUnavailableError } from '../stock/errors';
import { ConnectionPool } from './connection-pool';

export const strategies = ['naive', 'watch', 'lua'] as const;
export type Strategy = (typeof strategies)[number];

export interface LabOutcome {
  strategy: Strategy;
  outcome: 'reserved' | 'insufficient' | 'not_loaded' | 'gave_up';
  /** What the strategy believes remains after its own write. */
  available: number;
  /** Round trips to a decision: WATCH retries when another transaction got there first. */
  attempts: number;
}

export interface LabOptions {
  watchConnections: number;
  watchMaxAttempts: number;
}

/**
 * The same reservation three ways, on the `lab:{SKU}:*` keys (never the real stock), for
 * teaching. Only `lua` is correct and cheap; `naive` is wrong on purpose; `watch` is correct but
 * pays for contention with retries and a connection per transaction. docs/patterns/lua-atomic.md
 * shows the measured difference.
 */
export class LabStrategies {
  private readonly store: StockStore;
  private readonly watchPool: ConnectionPool;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: LabOptions,
  ) {
    this.store = new StockStore(redis, labKeys);
    this.watchPool = new ConnectionPool(() => redis.duplicate(), options.watchConnections);
  }

  reserve(strategy: Strategy, sku: string, qty: number): Promise<LabOutcome> {
    const attempt = { naive: () => this.naive(sku, qty), watch: () => this.watch(sku, qty), lua: () => this.lua(sku, qty) }[strategy];
    return attempt().catch((error: unknown) => {
      throw error instanceof StockUnavailableError ? error : new StockUnavailableError(error);
    });
  }

  /** Sets the lab stock of a SKU and forgets its lab reservations. */
  async setStock(sku: string, available: number): Promise<void> {
    const keys = labKeys(sku);
    await this.store.forget(sku);
    await this.redis.set(keys.stock, available);
  }

  /** Deletes a SKU's lab keys (the lua strategy records every reservation it makes). */
  clear(sku: string): Promise<void> {
    return this.store.forget(sku);
  }

  async stock(sku: string): Promise<{ available: number | null; reservations: number }> {
    const keys = labKeys(sku);
    const [available, reservations] = await Promise.all([this.redis.get(keys.stock), this.redis.hlen(keys.reservations)]);
    return { available: available === null ? null : Number(available), reservations };
  }

  close(): Promise<void> {
    return this.watchPool.close();
  }

  /** WRONG ON PURPOSE: between the GET and the SET, other requests read the same count. */
  private async naive(sku: string, qty: number): Promise<LabOutcome> {
    const key = labKeys(sku).stock;
    const value = await this.redis.get(key);
    if (value === null) return { strategy: 'naive', outcome: 'not_loaded', available: -1, attempts: 1 };
    const available = Number(value);
    if (available < qty) return { strategy: 'naive', outcome: 'insufficient', available, attempts: 1 };
    await this.redis.set(key, available - qty);
    return { strategy: 'naive', outcome: 'reserved', available: available - qty, attempts: 1 };
  }

  /**
   * Optimistic: WATCH the key, read, decide, then MULTI/SET/EXEC. EXEC fails (null) when the key
   * changed after the WATCH, and the whole read-decide-write starts over.
   */
  private watch(sku: string, qty: number): Promise<LabOutcome> {
    const key = labKeys(sku).stock;
    return this.watchPool.use(async (client) => {
      for (let attempts = 1; attempts <= this.options.watchMaxAttempts; attempts++) {
        await client.watch(key);
        const value = await client.get(key);
        if (value === null || Number(value) < qty) {
          await client.unwatch();
          const available = value === null ? -1 : Number(value);
          return { strategy: 'watch', outcome: value === null ? 'not_loaded' : 'insufficient', available, attempts };
        }
        const available = Number(value) - qty;
        const committed = await client.multi().set(key, available).exec();
        if (committed !== null) return { strategy: 'watch', outcome: 'reserved', available, attempts };
      }
      return { strategy: 'watch', outcome: 'gave_up', available: -1, attempts: this.options.watchMaxAttempts };
    });
  }

  /** The production path: reserve-3.lua checks and decrements in one atomic step. */
  private async lua(sku: string, qty: number): Promise<LabOutcome> {
    const result = await this.store.reserve(sku, `lab-${randomUUID()}`, qty);
    const outcome = result.outcome === 'reserved' ? 'reserved' : result.outcome === 'not_loaded' ? 'not_loaded' : 'insufficient';
    return { strategy: 'lua', outcome, available: result.available, attempts: 1 };
  }
}
