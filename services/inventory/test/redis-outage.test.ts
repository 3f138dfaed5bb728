import { createLogger } from '@cachelab/telemetry';
import { ChaosRedis, testRedisConfig, waitFor } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileStock } from '../src/stock/reconcile';
import { startFixture, type Fixture } from './support/fixture';
import { call, post } from './support/http';
import { freshOrderId } from './support/skus';

let chaos: ChaosRedis;
let fx: Fixture;

beforeAll(async () => {
  chaos = await ChaosRedis.forTestStack(testRedisConfig());
  fx = await startFixture({}, chaos.config);
});

afterAll(async () => {
  chaos?.up();
  await fx?.close();
  await chaos?.close();
});

describe('Redis unreachable', () => {
  it('reservations answer 503 (never a guess), stock is read from Postgres, and all resumes by itself', async () => {
    const sku = await fx.stockedSku(20);
    const held = freshOrderId();
    expect((await post(`${fx.url}/stock/${sku}/reserve`, { qty: 5, orderId: held })).status).toBe(200);

    chaos.down();

    const reserve = await post(`${fx.url}/stock/${sku}/reserve`, { qty: 1, orderId: freshOrderId() });
    expect(reserve.status).toBe(503);
    expect(reserve.body.error.code).toBe('redis_unavailable');
    const stock = await call(`${fx.url}/stock/${sku}`);
    expect(stock.body).toEqual({ sku, available: 15, source: 'database' });
    const ready = await call(`${fx.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toMatchObject({ redis: false, database: true });

    chaos.up();

    await waitFor(async () => (await post(`${fx.url}/stock/${sku}/reserve`, { qty: 1, orderId: 'after-outage' })).status === 200, {
      timeoutMs: 15_000,
      what: 'reservations to resume',
    });
    expect((await call(`${fx.url}/stock/${sku}`)).body).toEqual({ sku, available: 14, source: 'redis' });
    const report = await reconcileStock(
      { store: fx.inventory.service.store, prisma: fx.inventory.service.prisma, logger: createLogger('outage-test') },
      { dryRun: true, graceMs: 0, skus: [sku] },
    );
    expect(report.drifted).toEqual([]);
  });
});
