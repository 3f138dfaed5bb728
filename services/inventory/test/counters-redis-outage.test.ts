import { ChaosRedis, testRedisConfig, waitFor } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, post } from './support/http';
import type { RunningService } from './support/inventory-service';
import { freshOrderId, freshSku } from './support/skus';
import { closePool, persistedTotals, startCountersService, stockRows, waitForPersisted, WriteBehindProbe, writeBehindEnv } from './support/write-behind-env';

/**
 * The write-behind Redis is unreachable for this service only (TCP proxies cut): a view is
 * refused (503, not acknowledged, so not owed), a sale is written to Postgres directly, reads
 * fall back to Postgres; when Redis is back, counting resumes by itself.
 */
const wb = writeBehindEnv();
let chaos: ChaosRedis;
let svc: RunningService;
let probe: WriteBehindProbe;
const sku = freshSku();

beforeAll(async () => {
  await stockRows([sku]);
  chaos = await ChaosRedis.forTestStack(testRedisConfig());
  svc = await startCountersService(wb, chaos.config);
  probe = await WriteBehindProbe.open(wb);
});
afterAll(async () => {
  chaos?.up();
  await svc?.close();
  await chaos?.close();
  await probe?.close();
  await closePool();
});

describe('counters while their Redis is unreachable', () => {
  it('refuses views, writes sales to Postgres once, reads from Postgres, and recovers', async () => {
    expect((await post(`${svc.url}/products/${sku}/views`)).status).toBe(202);
    await svc.service.counters.recordSale({ orderId: freshOrderId(), sku, qty: 2 });
    await waitForPersisted(probe, [sku], { views: 1, sold: 2 });

    chaos.down();
    const refused = await post(`${svc.url}/products/${sku}/views`);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('counter_unavailable');
    expect(refused.headers.get('retry-after')).toBe('1');

    const orderId = freshOrderId();
    await svc.service.counters.recordSale({ orderId, sku, qty: 900 });
    await svc.service.counters.recordSale({ orderId, sku, qty: 900 }); // a replay: once
    expect(await persistedTotals([sku])).toEqual({ views: 1, sold: 902 });

    const counters = await call(`${svc.url}/counters/${sku}`);
    expect(counters.status).toBe(200);
    expect(counters.body).toEqual({ sku, views: { persisted: 1, pending: null }, sold: { persisted: 902, pending: null } });

    const top = (await call(`${svc.url}/leaderboard/top-sellers?limit=100`)).body;
    expect(top.source).toBe('database');
    expect(top.items).toContainEqual({ rank: expect.any(Number), sku, sold: 902 });

    chaos.up();
    await waitFor(async () => (await post(`${svc.url}/products/${sku}/views`)).status === 202, {
      timeoutMs: 20_000,
      what: 'views to be counted again',
    });
    await waitForPersisted(probe, [sku], { views: 2, sold: 902 });
  });

  it('closes within the shutdown budget while Redis is unreachable', async () => {
    chaos.down();
    const started = Date.now();
    await svc.close();
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});
