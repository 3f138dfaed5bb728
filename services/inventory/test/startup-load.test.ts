import { createLogger, readCounter } from '@cachelab/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockKeys } from '../src/stock/keys';
import { StockLoader } from '../src/stock/stock-loader';
import { startFixture, type Fixture } from './support/fixture';
import { call, post } from './support/http';
import { freshOrderId } from './support/skus';

let fx: Fixture;

beforeAll(async () => {
  fx = await startFixture();
});

afterAll(async () => {
  await fx?.close();
});

describe('loading stock into Redis at start', () => {
  it('loads SKUs Redis lacks, from Postgres, with their reservations', async () => {
    const sku = await fx.stockedSku(30);
    await post(`${fx.url}/stock/${sku}/reserve`, { qty: 4, orderId: freshOrderId() });
    await fx.inventory.service.store.forget(sku);
    const loader = new StockLoader(fx.inventory.service.store, fx.inventory.service.prisma, createLogger('load-test'));

    const result = await loader.loadMissing();

    expect(result.loaded).toBeGreaterThanOrEqual(1);
    expect(await fx.inventory.service.redis.get(stockKeys(sku).stock)).toBe('26');
  });

  it('never overwrites live stock', async () => {
    const sku = await fx.stockedSku(30);
    // Live stock that differs from Postgres' view: load must leave it alone (reconcile is the repair).
    await fx.inventory.service.redis.set(stockKeys(sku).stock, 7);
    const loader = new StockLoader(fx.inventory.service.store, fx.inventory.service.prisma, createLogger('load-test'));

    await loader.loadMissing();

    expect((await call(`${fx.url}/stock/${sku}`)).body.available).toBe(7);
  });

  it('many requests for a lost SKU at once load it once and agree on the count', async () => {
    const sku = await fx.stockedSku(100);
    await fx.inventory.service.store.forget(sku);
    const loads = async () => readCounter(await (await fetch(`${fx.url}/metrics`)).text(), 'cachelab_origin_queries_total', { operation: 'stock.records' });
    const loadsBefore = await loads();

    const replies = await Promise.all(
      Array.from({ length: 60 }, () => post(`${fx.url}/stock/${sku}/reserve`, { qty: 1, orderId: freshOrderId() })),
    );

    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect((await call(`${fx.url}/stock/${sku}`)).body.available).toBe(40);
    expect((await loads()) - loadsBefore).toBe(1);
  });
});
