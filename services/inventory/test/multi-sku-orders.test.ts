import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from './helpers/db';
import { startFixture, type Fixture } from './support/fixture';
import { call, post } from './support/http';
import { freshOrderId, freshSku } from './support/skus';

let fx: Fixture;

beforeAll(async () => {
  fx = await startFixture();
});

afterAll(async () => {
  await fx?.close();
});

const available = async (sku: string) => (await call(`${fx.url}/stock/${sku}`)).body.available as number;
const reservedRows = async (orderId: string) =>
  sql(`SELECT sku, qty FROM "Reservation" WHERE "orderId" = $1 AND status = 'reserved' ORDER BY sku`, [orderId]);

describe('an order of several SKUs', () => {
  it('reserves every line and answers 201 with what remains of each', async () => {
    const [a, b, c] = [await fx.stockedSku(10), await fx.stockedSku(10), await fx.stockedSku(10)];
    const orderId = freshOrderId();

    const reply = await post(`${fx.url}/orders`, { orderId, lines: [{ sku: a, qty: 1 }, { sku: b, qty: 2 }, { sku: c, qty: 3 }] });

    expect(reply.status).toBe(201);
    expect(reply.body.lines.map((l: { sku: string; available: number }) => [l.sku, l.available])).toEqual([
      [a, 9],
      [b, 8],
      [c, 7],
    ]);
    expect(await reservedRows(orderId)).toHaveLength(3);
  });

  it('is idempotent: placing it again changes nothing and answers 200', async () => {
    const [a, b] = [await fx.stockedSku(10), await fx.stockedSku(10)];
    const order = { orderId: freshOrderId(), lines: [{ sku: a, qty: 2 }, { sku: b, qty: 2 }] };
    await post(`${fx.url}/orders`, order);

    const again = await post(`${fx.url}/orders`, order);

    expect(again.status).toBe(200);
    expect(again.body.lines.every((l: { replayed: boolean }) => l.replayed)).toBe(true);
    expect([await available(a), await available(b)]).toEqual([8, 8]);
  });

  describe('when one line is short', () => {
    it('answers 409 naming the line, and compensates: the lines reserved before it are taken back', async () => {
      const [a, b, short] = [await fx.stockedSku(10), await fx.stockedSku(10), await fx.stockedSku(1)];
      const orderId = freshOrderId();

      const reply = await post(`${fx.url}/orders`, {
        orderId,
        lines: [{ sku: a, qty: 4 }, { sku: b, qty: 5 }, { sku: short, qty: 2 }],
      });

      expect(reply.status).toBe(409);
      expect(reply.body.error).toMatchObject({
        code: 'insufficient_stock',
        details: { failedSku: short, requested: 2, available: 1, stillHeld: [] },
      });
      expect(reply.body.error.details.compensated).toEqual([
        { sku: b, qty: 5 },
        { sku: a, qty: 4 },
      ]);
      expect([await available(a), await available(b), await available(short)]).toEqual([10, 10, 1]);
      expect(await reservedRows(orderId)).toEqual([]);
    });

    it('leaves the order id usable: the same order succeeds once the stock is there', async () => {
      const [a, short] = [await fx.stockedSku(10), await fx.stockedSku(1)];
      const order = { orderId: freshOrderId(), lines: [{ sku: a, qty: 3 }, { sku: short, qty: 2 }] };
      expect((await post(`${fx.url}/orders`, order)).status).toBe(409);
      await post(`${fx.url}/stock/${short}/restock`, { qty: 1 });

      const retry = await post(`${fx.url}/orders`, order);

      expect(retry.status).toBe(201);
      expect([await available(a), await available(short)]).toEqual([7, 0]);
      expect(await reservedRows(order.orderId)).toHaveLength(2);
    });

    it('compensates lines a previous attempt of the same order had reserved too', async () => {
      const [a, b] = [await fx.stockedSku(10), await fx.stockedSku(10)];
      const orderId = freshOrderId();
      // A first attempt that reserved line a, then died (as if the process was killed).
      expect((await post(`${fx.url}/stock/${a}/reserve`, { qty: 2, orderId })).status).toBe(200);
      await post(`${fx.url}/orders`, { orderId: freshOrderId(), lines: [{ sku: b, qty: 10 }] }); // b is now sold out

      const retry = await post(`${fx.url}/orders`, { orderId, lines: [{ sku: a, qty: 2 }, { sku: b, qty: 1 }] });

      expect(retry.status).toBe(409);
      expect(retry.body.error.details.compensated).toEqual([{ sku: a, qty: 2 }]);
      expect(await available(a)).toBe(10);
      expect(await reservedRows(orderId)).toEqual([]);
    });

    it('keeps every SKU consistent when 40 orders compete for the last units of one line', async () => {
      const [common, scarce] = [await fx.stockedSku(1000), await fx.stockedSku(10)];
      const orders = Array.from({ length: 40 }, () => ({ orderId: freshOrderId(), lines: [{ sku: common, qty: 3 }, { sku: scarce, qty: 1 }] }));

      const replies = await Promise.all(orders.map((order) => post(`${fx.url}/orders`, order)));

      const placed = replies.filter((r) => r.status === 201).length;
      expect(placed).toBe(10);
      expect(replies.filter((r) => r.status === 409)).toHaveLength(30);
      expect([await available(common), await available(scarce)]).toEqual([1000 - 3 * placed, 0]);
    });
  });

  it('with a SKU the catalog does not know is a 404 before anything is reserved', async () => {
    const a = await fx.stockedSku(10);
    const unknown = freshSku();

    const reply = await post(`${fx.url}/orders`, { orderId: freshOrderId(), lines: [{ sku: a, qty: 1 }, { sku: unknown, qty: 1 }] });

    expect(reply.status).toBe(404);
    expect(reply.body.error).toMatchObject({ code: 'unknown_sku', details: { sku: unknown } });
    expect(await available(a)).toBe(10);
  });
});
