import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from './helpers/db';
import { startFixture, type Fixture } from './support/fixture';
import { call, post } from './support/http';
import { freshOrderId, freshSku } from './support/skus';

const BUYERS = 2000;
const STOCK = 100;

let fx: Fixture;

beforeAll(async () => {
  fx = await startFixture();
});

afterAll(async () => {
  await fx?.close();
});

/** BUYERS concurrent one-unit reservations against STOCK units with one /lab strategy. */
async function flashSale(strategy: 'naive' | 'watch' | 'lua') {
  const sku = freshSku();
  await call(`${fx.url}/lab/stock/${sku}`, { method: 'PUT', json: { available: STOCK } });
  const replies = await Promise.all(
    Array.from({ length: BUYERS }, () => post(`${fx.url}/lab/reserve/${sku}?strategy=${strategy}`, { qty: 1 })),
  );
  const statuses = replies.map((r) => r.status);
  const left = (await call(`${fx.url}/lab/stock/${sku}`)).body.available as number;
  return {
    successes: statuses.filter((s) => s === 200).length,
    refused: statuses.filter((s) => s === 409).length,
    other: statuses.filter((s) => s !== 200 && s !== 409),
    left,
    attempts: replies.filter((r) => r.status === 200).reduce((sum, r) => sum + (r.body.attempts as number), 0),
  };
}

describe(`${BUYERS} concurrent reservations against a stock of ${STOCK}`, () => {
  it('lua: exactly 100 succeed, the rest are refused, 0 left', async () => {
    const run = await flashSale('lua');

    expect(run).toMatchObject({ successes: STOCK, refused: BUYERS - STOCK, other: [], left: 0 });
  });

  it('watch: exactly 100 succeed, at the price of retries', async () => {
    const run = await flashSale('watch');

    expect(run).toMatchObject({ successes: STOCK, refused: BUYERS - STOCK, other: [], left: 0 });
    // Each lost race is a retry: more attempts than successes proves there was contention.
    expect(run.attempts).toBeGreaterThan(STOCK);
  });

  it('naive (GET, check, SET) oversells: more than 100 buyers are told they got one', async () => {
    const run = await flashSale('naive');

    expect(run.other).toEqual([]);
    expect(run.successes).toBeGreaterThan(STOCK);
  });

  it('the real endpoint: exactly 100 of 2,000 distinct orders succeed, and Postgres records exactly those', async () => {
    const sku = await fx.stockedSku(STOCK);
    const orders = Array.from({ length: BUYERS }, () => freshOrderId('flash'));

    const replies = await Promise.all(orders.map((orderId) => post(`${fx.url}/stock/${sku}/reserve`, { qty: 1, orderId })));

    const winners = orders.filter((_, i) => replies[i]!.status === 200);
    expect(winners).toHaveLength(STOCK);
    expect(replies.filter((r) => r.status === 409)).toHaveLength(BUYERS - STOCK);
    expect((await call(`${fx.url}/stock/${sku}`)).body.available).toBe(0);
    const pg = new Client({ connectionString: testDatabaseUrl });
    await pg.connect();
    try {
      const { rows } = await pg.query<{ orderId: string }>(`SELECT "orderId" FROM "Reservation" WHERE sku = $1 AND status = 'reserved'`, [sku]);
      expect(rows.map((r) => r.orderId).sort()).toEqual([...winners].sort());
    } finally {
      await pg.end();
    }
  });
});
