import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from './helpers/db';
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

const available = async (sku: string) => (await call(`${fx.url}/stock/${sku}`)).body.available as number;
const rows = async (sku: string) =>
  sql(`SELECT "orderId", qty, status FROM "Reservation" WHERE sku = $1 ORDER BY id`, [sku]);

describe('a reservation', () => {
  it('takes the units and answers what remains; Postgres records it', async () => {
    const sku = await fx.stockedSku(10);
    const orderId = freshOrderId();

    const reply = await post(`${fx.url}/stock/${sku}/reserve`, { qty: 3, orderId });

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ sku, orderId, qty: 3, available: 7, replayed: false });
    expect(await available(sku)).toBe(7);
    expect(await rows(sku)).toEqual([{ orderId, qty: 3, status: 'reserved' }]);
  });

  it('answers 409 with what is left when stock is short, and takes nothing', async () => {
    const sku = await fx.stockedSku(2);

    const reply = await post(`${fx.url}/stock/${sku}/reserve`, { qty: 3, orderId: freshOrderId() });

    expect(reply.status).toBe(409);
    expect(reply.body.error).toMatchObject({ code: 'insufficient_stock', details: { sku, requested: 3, available: 2 } });
    expect(await available(sku)).toBe(2);
    expect(await rows(sku)).toEqual([]);
  });

  it('is idempotent: the same orderId twice reserves once', async () => {
    const sku = await fx.stockedSku(10);
    const orderId = freshOrderId();

    const first = await post(`${fx.url}/stock/${sku}/reserve`, { qty: 4, orderId });
    const second = await post(`${fx.url}/stock/${sku}/reserve`, { qty: 4, orderId });

    expect(first.body).toMatchObject({ available: 6, replayed: false });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ qty: 4, available: 6, replayed: true });
    expect(await available(sku)).toBe(6);
    expect(await rows(sku)).toHaveLength(1);
  });

  it('is idempotent under concurrency: 50 simultaneous retries of one order reserve once', async () => {
    const sku = await fx.stockedSku(100);
    const orderId = freshOrderId();

    const replies = await Promise.all(Array.from({ length: 50 }, () => post(`${fx.url}/stock/${sku}/reserve`, { qty: 5, orderId })));

    expect(replies.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(replies.filter((r) => !r.body.replayed)).toHaveLength(1);
    expect(await available(sku)).toBe(95);
    expect(await rows(sku)).toEqual([{ orderId, qty: 5, status: 'reserved' }]);
  });

  it('refuses a retry that asks for another quantity (409 order_conflict)', async () => {
    const sku = await fx.stockedSku(10);
    const orderId = freshOrderId();
    await post(`${fx.url}/stock/${sku}/reserve`, { qty: 2, orderId });

    const reply = await post(`${fx.url}/stock/${sku}/reserve`, { qty: 3, orderId });

    expect(reply.status).toBe(409);
    expect(reply.body.error).toMatchObject({ code: 'order_conflict', details: { held: 2, requested: 3 } });
    expect(await available(sku)).toBe(8);
  });

  it('the same orderId may reserve several SKUs, once each', async () => {
    const [a, b] = [await fx.stockedSku(5), await fx.stockedSku(5)];
    const orderId = freshOrderId();

    expect((await post(`${fx.url}/stock/${a}/reserve`, { qty: 1, orderId })).status).toBe(200);
    expect((await post(`${fx.url}/stock/${b}/reserve`, { qty: 2, orderId })).status).toBe(200);

    expect([await available(a), await available(b)]).toEqual([4, 3]);
  });
});

describe('a release', () => {
  it('returns the units of that reservation exactly once', async () => {
    const sku = await fx.stockedSku(10);
    const orderId = freshOrderId();
    await post(`${fx.url}/stock/${sku}/reserve`, { qty: 4, orderId });

    const first = await post(`${fx.url}/stock/${sku}/release`, { orderId });
    const second = await post(`${fx.url}/stock/${sku}/release`, { orderId });

    expect(first.status).toBe(200);
    expect(first.body).toEqual({ sku, orderId, qty: 4, available: 10, replayed: false });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ qty: 4, available: 10, replayed: true });
    expect(await available(sku)).toBe(10);
    expect(await rows(sku)).toEqual([{ orderId, qty: 4, status: 'released' }]);
  });

  it('returns the units once even when 30 releases race', async () => {
    const sku = await fx.stockedSku(10);
    const orderId = freshOrderId();
    await post(`${fx.url}/stock/${sku}/reserve`, { qty: 6, orderId });

    const replies = await Promise.all(Array.from({ length: 30 }, () => post(`${fx.url}/stock/${sku}/release`, { orderId })));

    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(replies.filter((r) => !r.body.replayed)).toHaveLength(1);
    expect(await available(sku)).toBe(10);
  });

  it('ends the order id: reserving again with it is refused (409 reservation_released)', async () => {
    const sku = await fx.stockedSku(10);
    const orderId = freshOrderId();
    await post(`${fx.url}/stock/${sku}/reserve`, { qty: 1, orderId });
    await post(`${fx.url}/stock/${sku}/release`, { orderId });

    const reply = await post(`${fx.url}/stock/${sku}/reserve`, { qty: 1, orderId });

    expect(reply.status).toBe(409);
    expect(reply.body.error.code).toBe('reservation_released');
    expect(await available(sku)).toBe(10);
  });

  it('of an order that holds nothing is a 404 unknown_reservation', async () => {
    const sku = await fx.stockedSku(10);

    const reply = await post(`${fx.url}/stock/${sku}/release`, { orderId: freshOrderId() });

    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe('unknown_reservation');
  });
});

describe('a restock', () => {
  it('adds units to the live stock and to the total in Postgres', async () => {
    const sku = await fx.stockedSku(10);
    await post(`${fx.url}/stock/${sku}/reserve`, { qty: 10, orderId: freshOrderId() });

    const reply = await post(`${fx.url}/stock/${sku}/restock`, { qty: 5 });

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ sku, total: 15, available: 5 });
    expect(await available(sku)).toBe(5);
  });

  it('of a SKU the catalog knows but inventory never stocked creates its stock', async () => {
    const sku = await fx.stockedSku(7);

    expect(await available(sku)).toBe(7);
    expect(await sql(`SELECT total FROM "Stock" WHERE sku = $1`, [sku])).toEqual([{ total: 7 }]);
  });
});
