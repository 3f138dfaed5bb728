import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStock } from '../src/db/stock';
import { startFixture, type Fixture } from './support/fixture';
import { call, post } from './support/http';
import { freshOrderId } from './support/skus';

/**
 * A restock updates Postgres' total first, then the live stock in Redis. When the stock key is
 * missing, a load running between the two steps reads the new total: the restock's Redis step must
 * not add its units again. The steps of the real restock are run here one by one, in that order.
 */
let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.close();
});

const service = () => fx.inventory.service;
const available = async (sku: string) => (await call(`${fx.url}/stock/${sku}`)).body.available as number;

describe('a restock counts its units once', () => {
  it('when a load from Postgres ran between its Postgres update and its Redis step', async () => {
    const sku = await fx.stockedSku(10);
    expect((await post(`${fx.url}/stock/${sku}/reserve`, { qty: 2, orderId: freshOrderId() })).status).toBe(200);
    await service().store.forget(sku); // Redis lost the SKU's keys

    const total = await addStock(service().prisma, sku, 5); // the restock's first step: Postgres, 10 -> 15
    await service().loader.loadSku(sku); // a concurrent read finds no key and loads 15 - 2 from Postgres
    const after = await service().store.restock(sku, 5, total); // the restock's second step

    expect(total).toBe(15);
    expect(after).toBe(13);
    expect(await available(sku)).toBe(13);
  });

  it('when two restocks reach Redis in the other order than they reached Postgres', async () => {
    const sku = await fx.stockedSku(10);
    const first = await addStock(service().prisma, sku, 5);
    const second = await addStock(service().prisma, sku, 3);

    expect(await service().store.restock(sku, 3, second)).toBe(18);
    expect(await service().store.restock(sku, 5, first)).toBe(18);
    expect(await available(sku)).toBe(18);
  });

  it('through the API, with the stock key missing', async () => {
    const sku = await fx.stockedSku(10);
    await service().store.forget(sku);

    const reply = await post(`${fx.url}/stock/${sku}/restock`, { qty: 4 });

    expect(reply.body).toMatchObject({ sku, total: 14, available: 14 });
    expect((await post(`${fx.url}/stock/${sku}/restock`, { qty: 1 })).body).toMatchObject({ total: 15, available: 15 });
  });
});
