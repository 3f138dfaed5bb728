import { createLogger } from '@cachelab/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockKeys } from '../src/stock/keys';
import { pruneReservations } from '../src/stock/prune';
import { reconcileStock } from '../src/stock/reconcile';
import { STAGE_CHUNK } from '../src/stock/stock-store';
import { sql } from './helpers/db';
import { startFixture, type Fixture } from './support/fixture';
import { call, post } from './support/http';
import { freshOrderId } from './support/skus';

/**
 * Released reservations are kept for RESERVATION_RETENTION_HOURS (a replay of that order is
 * recognised meanwhile), then pruned from Postgres and from Redis; a SKU's record reaches the load
 * and reconcile scripts through staged hashes, STAGE_CHUNK entries per command, however long it is.
 */
let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.close();
});

const service = () => fx.inventory.service;
const deps = () => ({ store: service().store, prisma: service().prisma, logger: createLogger('retention-test') });
const releasedInRedis = async (sku: string) => Object.keys(await service().redis.hgetall(stockKeys(sku).released)).sort();

async function reserveAndRelease(sku: string): Promise<string> {
  const orderId = freshOrderId();
  expect((await post(`${fx.url}/stock/${sku}/reserve`, { qty: 1, orderId })).status).toBe(200);
  expect((await post(`${fx.url}/stock/${sku}/release`, { orderId })).status).toBe(200);
  return orderId;
}

describe('released reservations', () => {
  it('are pruned from Postgres and Redis once past the retention; recent ones and live ones stay', async () => {
    const sku = await fx.stockedSku(10);
    const [old, recent] = [await reserveAndRelease(sku), await reserveAndRelease(sku)];
    const live = freshOrderId();
    await post(`${fx.url}/stock/${sku}/reserve`, { qty: 2, orderId: live });
    await sql(`UPDATE "Reservation" SET "releasedAt" = now() - interval '31 days' WHERE "orderId" = $1`, [old]);

    await pruneReservations(deps(), { retentionHours: 24 * 30 });

    const rows = await sql(`SELECT "orderId" FROM "Reservation" WHERE sku = $1 ORDER BY "orderId"`, [sku]);
    expect(rows.map((row) => row.orderId as string).sort()).toEqual([recent, live].sort());
    expect(await releasedInRedis(sku)).toEqual([recent]);
    expect((await call(`${fx.url}/stock/${sku}`)).body.available).toBe(8);
  });

  it('are dropped from Redis by reconciliation when Postgres no longer has them and they are past the retention', async () => {
    const sku = await fx.stockedSku(10);
    const kept = await reserveAndRelease(sku);
    const keys = stockKeys(sku);
    await service().redis.hset(keys.released, 'order-long-ago', `1:${Date.now() - 40 * 24 * 3_600_000}`);

    await reconcileStock(deps(), { dryRun: false, graceMs: 30_000, skus: [sku], retentionHours: 24 * 30 });

    expect(await releasedInRedis(sku)).toEqual([kept]);
  });
});

describe('a SKU with a long history', () => {
  it('loads and reconciles through staged hashes, many chunks of arguments, not one call with all of them', async () => {
    const sku = await fx.stockedSku(1_000);
    await sql(`UPDATE "Stock" SET total = 100000 WHERE sku = $1`, [sku]);
    const count = STAGE_CHUNK * 8 + 7;
    // Live and released reservations written straight into Postgres, as years of orders would leave them.
    await sql(
      `INSERT INTO "Reservation" ("orderId", sku, qty, status, "createdAt", "releasedAt")
       SELECT 'hist-' || g, $1, 1, CASE WHEN g % 2 = 0 THEN 'released' ELSE 'reserved' END::"ReservationStatus", now(),
              CASE WHEN g % 2 = 0 THEN now() END
         FROM generate_series(1, $2::int) AS g`,
      [sku, count],
    );
    const reservedCount = Math.ceil(count / 2);
    await service().store.forget(sku);

    expect((await call(`${fx.url}/stock/${sku}`)).body.available).toBe(100_000 - reservedCount);
    expect(await service().redis.hlen(stockKeys(sku).reservations)).toBe(reservedCount);
    expect(await service().redis.hlen(stockKeys(sku).released)).toBe(count - reservedCount);

    await service().redis.hdel(stockKeys(sku).reservations, 'hist-1');
    const report = await reconcileStock(deps(), { dryRun: false, graceMs: 30_000, skus: [sku] });
    expect(report.drifted[0]?.changes.map((c) => c.kind)).toEqual(['missing_in_redis']);
    expect(await service().redis.hlen(stockKeys(sku).reservations)).toBe(reservedCount);
    const staged = await service().redis.keys(`inv:{${sku}}:staged:*`).catch(() => [] as string[]);
    expect(staged).toEqual([]);
  });
});
