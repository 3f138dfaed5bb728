import { waitFor } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, type Fixture } from './support/fixture';
import { call, post } from './support/http';
import { freshOrderId } from './support/skus';
import { closePool, persistedTotals, writeBehindEnv } from './support/write-behind-env';

/**
 * A multi-SKU order that fails is compensated: the lines reserved before the failing one get
 * their units back, and their sales are taken back too (units sold, top-sellers score), whether
 * the sale was still pending in Redis or already persisted by a flush.
 */
const wb = writeBehindEnv();
let fx: Fixture;

beforeAll(async () => {
  fx = await startFixture(wb);
  await waitFor(async () => (await fetch(`${fx.url}/readyz`)).ok, { timeoutMs: 20_000, what: 'readiness' });
});
afterAll(async () => {
  await fx?.close();
  await closePool();
});

const soldOf = async (sku: string) => {
  const body = (await call(`${fx.url}/counters/${sku}`)).body;
  return { persisted: body.sold.persisted as number, pending: body.sold.pending as number };
};
/** Units sold as GET /counters answers them: persisted + pending (a flush may be half-way). */
const totalSold = async (sku: string) => {
  const { persisted, pending } = await soldOf(sku);
  return persisted + pending;
};
const settled = (sku: string) =>
  waitFor(async () => (await persistedTotals([sku])).sold === 0 && (await soldOf(sku)).pending === 0, {
    timeoutMs: 20_000,
    what: `${sku}'s revocation to be flushed`,
  });
const ranked = async (sku: string) =>
  ((await call(`${fx.url}/leaderboard/top-sellers?limit=100`)).body.items as { sku: string }[]).some((item) => item.sku === sku);

describe('compensating a failed order', () => {
  it('takes back the sales of the lines it returns to stock', async () => {
    const [a, b, short] = [await fx.stockedSku(10), await fx.stockedSku(10), await fx.stockedSku(1)];

    const reply = await post(`${fx.url}/orders`, { orderId: freshOrderId(), lines: [{ sku: a, qty: 4 }, { sku: b, qty: 5 }, { sku: short, qty: 2 }] });

    expect(reply.status).toBe(409);
    expect([await totalSold(a), await totalSold(b)]).toEqual([0, 0]);
    expect([await ranked(a), await ranked(b)]).toEqual([false, false]);
    await settled(a);
    await settled(b);
  });

  it('takes back a sale an earlier attempt had counted and a flush had persisted', async () => {
    const [a, b] = [await fx.stockedSku(10), await fx.stockedSku(10)];
    const orderId = freshOrderId();
    expect((await post(`${fx.url}/stock/${a}/reserve`, { qty: 2, orderId })).status).toBe(200);
    await waitFor(async () => (await persistedTotals([a])).sold === 2, { timeoutMs: 20_000, what: 'the first sale to be flushed' });
    expect(await ranked(a)).toBe(true);
    await post(`${fx.url}/orders`, { orderId: freshOrderId(), lines: [{ sku: b, qty: 10 }] }); // b is now sold out

    const retry = await post(`${fx.url}/orders`, { orderId, lines: [{ sku: a, qty: 2 }, { sku: b, qty: 1 }] });

    expect(retry.status).toBe(409);
    expect(await ranked(a)).toBe(false);
    expect(await totalSold(a)).toBe(0);
    await settled(a);

    // The order id may be placed again, and then its sale counts.
    expect((await post(`${fx.url}/stock/${b}/restock`, { qty: 1 })).status).toBe(200);
    expect((await post(`${fx.url}/orders`, { orderId, lines: [{ sku: a, qty: 2 }, { sku: b, qty: 1 }] })).status).toBe(201);
    await waitFor(async () => (await persistedTotals([a])).sold === 2, { timeoutMs: 20_000, what: 'the new sale to be flushed' });
  });
});
