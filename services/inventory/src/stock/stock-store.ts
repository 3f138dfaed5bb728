import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { defineScripts, type RedisClient, type WithScripts } from '@cachelab/redis';
import { StockUnavailableError } from './errors';
import { stockKeys, type SkuKeys } from './keys';

export { StockUnavailableError };

export const LUA_DIR = join(__dirname, '..', '..', 'lua');

type Reply = [string, number, number];

/** The scripts in lua/ this module calls, as ioredis defineCommand exposes them. */
interface StockCommands {
  reserve(stock: string, reservations: string, released: string, orderId: string, qty: number): Promise<Reply>;
  release(stock: string, reservations: string, released: string, orderId: string): Promise<Reply>;
  undoReserve(stock: string, reservations: string, released: string, orderId: string): Promise<Reply>;
  restock(stock: string, total: string, qty: number, newTotal: number): Promise<number>;
  loadStock(stock: string, reservations: string, released: string, total: string, stagedReserved: string, stagedReleased: string, available: number, recordTotal: number): Promise<number>;
  reconcileStock(
    stock: string,
    reservations: string,
    released: string,
    total: string,
    stagedReserved: string,
    stagedReleased: string,
    dryRun: string,
    recordTotal: number,
    graceMs: number,
    retentionMs: number,
  ): Promise<string>;
}

export type StockRedis = WithScripts<StockCommands>;

export type ReserveOutcome = 'reserved' | 'replay' | 'released' | 'insufficient' | 'not_loaded';
export type ReleaseOutcome = 'released' | 'replay' | 'unknown' | 'not_loaded';

export interface ScriptResult<O extends string> {
  outcome: O;
  /** Units available after the script (-1 when the stock key is missing). */
  available: number;
  /** The units this order holds, held or released (0 when none). */
  qty: number;
}

/** A reservation as both stores record it: the value is "qty:epochMs". */
export interface OrderEntry {
  orderId: string;
  qty: number;
  atMs: number;
}

export interface SkuRecord {
  total: number;
  reserved: OrderEntry[];
  released: OrderEntry[];
}

/** Field-value pairs per HSET when Postgres' record is staged: no command carries a SKU's whole history. */
export const STAGE_CHUNK = 500;
/** A staged record nobody moved into place (the caller died) expires by itself. */
const STAGE_TTL_MS = 60_000;

/**
 * Typed access to the stock scripts. Every call names the three keys of one SKU, which share
 * its hash tag, so each script runs atomically on the node that owns the slot.
 */
export class StockStore {
  readonly redis: StockRedis;

  constructor(redis: RedisClient, private readonly keysOf: (sku: string) => SkuKeys = stockKeys) {
    defineScripts(redis, LUA_DIR);
    this.redis = redis as StockRedis;
  }

  async reserve(sku: string, orderId: string, qty: number): Promise<ScriptResult<ReserveOutcome>> {
    const k = this.keysOf(sku);
    return asResult(await this.call(() => this.redis.reserve(k.stock, k.reservations, k.released, orderId, qty)));
  }

  async release(sku: string, orderId: string): Promise<ScriptResult<ReleaseOutcome>> {
    const k = this.keysOf(sku);
    return asResult(await this.call(() => this.redis.release(k.stock, k.reservations, k.released, orderId)));
  }

  async undoReserve(sku: string, orderId: string): Promise<ScriptResult<'undone' | 'unknown'>> {
    const k = this.keysOf(sku);
    return asResult(await this.call(() => this.redis.undoReserve(k.stock, k.reservations, k.released, orderId)));
  }

  /**
   * Brings the live stock up to `newTotal` (Postgres' total after adding `qty`), once. The new
   * available count, or null when the stock key is missing (rebuild it instead).
   */
  async restock(sku: string, qty: number, newTotal: number): Promise<number | null> {
    const k = this.keysOf(sku);
    const available = await this.call(() => this.redis.restock(k.stock, k.total, qty, newTotal));
    return available < 0 ? null : available;
  }

  /** Null when the SKU has no stock key (never loaded, or lost). */
  async available(sku: string): Promise<number | null> {
    const value = await this.call(() => this.redis.get(this.keysOf(sku).stock));
    return value === null ? null : Number(value);
  }

  async reservations(sku: string): Promise<{ reserved: OrderEntry[]; released: OrderEntry[] }> {
    const k = this.keysOf(sku);
    const [held, released] = await Promise.all([
      this.call(() => this.redis.hgetall(k.reservations)),
      this.call(() => this.redis.hgetall(k.released)),
    ]);
    return { reserved: entries(held), released: entries(released) };
  }

  async exists(sku: string): Promise<boolean> {
    return (await this.call(() => this.redis.exists(this.keysOf(sku).stock))) === 1;
  }

  /** Writes the SKU's state from its Postgres record unless its stock key exists. True when loaded. */
  async load(sku: string, record: SkuRecord): Promise<boolean> {
    const k = this.keysOf(sku);
    const held = record.reserved.reduce((sum, entry) => sum + entry.qty, 0);
    const staged = await this.stage(sku, record);
    return (await this.call(() => this.redis.loadStock(k.stock, k.reservations, k.released, k.total, staged.reserved, staged.released, record.total - held, record.total))) === 1;
  }

  async reconcile(sku: string, record: SkuRecord, options: { dryRun: boolean; graceMs: number; retentionMs?: number }): Promise<ReconcileReply> {
    const k = this.keysOf(sku);
    const staged = await this.stage(sku, record);
    const json = await this.call(() =>
      this.redis.reconcileStock(
        k.stock,
        k.reservations,
        k.released,
        k.total,
        staged.reserved,
        staged.released,
        options.dryRun ? '1' : '0',
        record.total,
        options.graceMs,
        options.retentionMs ?? 0,
      ),
    );
    const reply = JSON.parse(json) as { before: number | null; after: number; changes: ReconcileChange[] | Record<string, never> };
    // cjson encodes an empty Lua table as {}.
    return { before: reply.before, after: reply.after, changes: Array.isArray(reply.changes) ? reply.changes : [] };
  }

  /** Removes released entries (orderIds) from the SKU's `released` hash: their retention is over. */
  async forgetReleased(sku: string, orderIds: string[]): Promise<void> {
    const key = this.keysOf(sku).released;
    for (let i = 0; i < orderIds.length; i += STAGE_CHUNK) {
      await this.call(() => this.redis.hdel(key, ...orderIds.slice(i, i + STAGE_CHUNK)));
    }
  }

  /**
   * Postgres' record of a SKU in two hashes beside its keys (same hash tag), STAGE_CHUNK pairs
   * per HSET: the load and reconcile scripts read them there instead of from their arguments.
   */
  private async stage(sku: string, record: SkuRecord): Promise<{ reserved: string; released: string }> {
    const staged = this.keysOf(sku).staged(randomUUID());
    for (const [key, entries] of [
      [staged.reserved, record.reserved],
      [staged.released, record.released],
    ] as const) {
      for (let i = 0; i < entries.length; i += STAGE_CHUNK) {
        const pairs = entries.slice(i, i + STAGE_CHUNK).flatMap((entry) => [entry.orderId, `${entry.qty}:${entry.atMs}`]);
        await this.call(() => this.redis.multi().hset(key, ...pairs).pexpire(key, STAGE_TTL_MS).exec());
      }
    }
    return staged;
  }

  /** Deletes a SKU's keys: what a Redis data loss looks like (tests and drills only). */
  async forget(sku: string): Promise<void> {
    const k = this.keysOf(sku);
    await this.call(() => this.redis.del(k.stock, k.reservations, k.released, k.total));
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new StockUnavailableError(error);
    }
  }
}

export type DriftKind =
  | 'released_in_postgres'
  | 'released_in_redis'
  | 'missing_in_redis'
  | 'quantity_differs'
  | 'orphan'
  | 'available';

export interface ReconcileChange {
  kind: DriftKind;
  orderId: string;
  qty: number;
}

export interface ReconcileReply {
  before: number | null;
  after: number;
  changes: ReconcileChange[];
}

function asResult<O extends string>(reply: Reply): ScriptResult<O> {
  return { outcome: reply[0] as O, available: Number(reply[1]), qty: Number(reply[2]) };
}

function entries(hash: Record<string, string>): OrderEntry[] {
  return Object.entries(hash).map(([orderId, value]) => {
    const [qty, atMs] = value.split(':');
    return { orderId, qty: Number(qty), atMs: Number(atMs) };
  });
}
