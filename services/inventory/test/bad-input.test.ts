import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, type Fixture } from './support/fixture';
import { call, post } from './support/http';
import { freshOrderId, freshSku } from './support/skus';

let fx: Fixture;
let sku: string;

beforeAll(async () => {
  fx = await startFixture();
  sku = await fx.stockedSku(1000);
});

afterAll(async () => {
  await fx?.close();
});

const available = async () => (await call(`${fx.url}/stock/${sku}`)).body.available as number;

describe('bad input is answered with a 4xx JSON error and reserves nothing', () => {
  const quantities: [string, unknown][] = [
    ['zero', 0],
    ['negative', -5],
    ['fractional', 1.5],
    ['huge', 1e12],
    ['above MAX_QTY', 1001],
    ['unsafe integer', 2 ** 53 + 2],
    ['a numeric string', '5'],
    ['null', null],
    ['a boolean', true],
  ];

  it.each(quantities)('reserve with a %s quantity: 400', async (_, qty) => {
    const reply = await post(`${fx.url}/stock/${sku}/reserve`, { qty, orderId: freshOrderId() });

    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('validation_failed');
    expect(reply.body.error.details.issues[0].path).toBe('qty');
    expect(await available()).toBe(1000);
  });

  it.each(quantities)('restock with a %s quantity: 400', async (_, qty) => {
    const reply = await post(`${fx.url}/stock/${sku}/restock`, { qty });

    expect(reply.status).toBe(400);
    expect(await available()).toBe(1000);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['too long', 'x'.repeat(65)],
    ['with a brace (it would become part of a hash field)', 'a}b'],
    ['a number', 42],
  ])('reserve with an orderId %s: 400', async (_, orderId) => {
    const reply = await post(`${fx.url}/stock/${sku}/reserve`, { qty: 1, ...(orderId === undefined ? {} : { orderId }) });

    expect(reply.status).toBe(400);
    expect(reply.body.error.details.issues[0].path).toBe('orderId');
  });

  it('release without an orderId: 400', async () => {
    expect((await post(`${fx.url}/stock/${sku}/release`, {})).status).toBe(400);
  });

  it.each(['sku-1', 'SKU-0', 'SKU-01', 'SKU-1}', 'SKU-', 'SKU-12345678901', 'SKU-1%7Bx%7D'])('a malformed SKU %s: 400', async (bad) => {
    const reply = await post(`${fx.url}/stock/${bad}/reserve`, { qty: 1, orderId: freshOrderId() });

    expect(reply.status).toBe(400);
    expect(reply.body.error.details.issues[0].path).toBe('sku');
  });

  it('a well-formed SKU the catalog does not know: 404 unknown_sku', async () => {
    const reply = await post(`${fx.url}/stock/${freshSku()}/reserve`, { qty: 1, orderId: freshOrderId() });

    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe('unknown_sku');
  });

  it('GET /stock of a SKU inventory has no record of: 404 unknown_sku', async () => {
    const reply = await call(`${fx.url}/stock/${freshSku()}`);

    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe('unknown_sku');
  });

  it('unknown fields: 400 naming them', async () => {
    const reply = await post(`${fx.url}/stock/${sku}/reserve`, { qty: 1, orderId: freshOrderId(), price: 3 });

    expect(reply.status).toBe(400);
    expect(reply.body.error.details.issues).toEqual([{ path: 'price', message: 'unknown field' }]);
  });

  it('no body, or a body that is not JSON: 400 / 415', async () => {
    expect((await call(`${fx.url}/stock/${sku}/reserve`, { method: 'POST' })).status).toBe(400);
    const text = await call(`${fx.url}/stock/${sku}/reserve`, { method: 'POST', body: 'qty=1', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const broken = await call(`${fx.url}/stock/${sku}/reserve`, { method: 'POST', body: '{"qty":', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
  });

  describe('orders', () => {
    it.each([
      ['no lines', { orderId: 'o', lines: [] }],
      ['no orderId', { lines: [{ sku: 'SKU-1', qty: 1 }] }],
      ['a line with a zero quantity', { orderId: 'o', lines: [{ sku: 'SKU-1', qty: 0 }] }],
      ['a line with a malformed SKU', { orderId: 'o', lines: [{ sku: 'SKU-x', qty: 1 }] }],
      ['the same SKU twice', { orderId: 'o', lines: [{ sku: 'SKU-1', qty: 1 }, { sku: 'SKU-1', qty: 2 }] }],
      ['too many lines', { orderId: 'o', lines: Array.from({ length: 51 }, (_, i) => ({ sku: `SKU-${i + 1}`, qty: 1 })) }],
    ])('%s: 400', async (_, order) => {
      const reply = await post(`${fx.url}/orders`, order);

      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('validation_failed');
    });
  });

  describe('the lab', () => {
    it.each(['', 'strategy=fast', 'strategy=lua&x=1'])('an unknown strategy or parameter (%s): 400', async (q) => {
      expect((await post(`${fx.url}/lab/reserve/${sku}?${q}`, { qty: 1 })).status).toBe(400);
    });

    it('a negative lab stock: 400', async () => {
      expect((await call(`${fx.url}/lab/stock/${sku}`, { method: 'PUT', json: { available: -1 } })).status).toBe(400);
    });
  });
});
