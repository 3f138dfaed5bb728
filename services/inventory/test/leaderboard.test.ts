import { shardOf } from '@cachelab/cache';
import { waitFor } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixture, type Fixture } from './support/fixture';
import { call, post } from './support/http';
import { freshOrderId } from './support/skus';
import { closePool, inParallel, waitForPersisted, WriteBehindProbe, writeBehindEnv } from './support/write-behind-env';

/**
 * Top sellers: a sorted set per write-behind shard, bumped by the same script that counts the
 * sale, merged into the exact global top. Sales come from real reservations.
 */
const wb = writeBehindEnv({ WRITE_BEHIND_SHARDS: '16' });
let fx: Fixture;
let probe: WriteBehindProbe;

beforeAll(async () => {
  fx = await startFixture(wb);
  await waitFor(async () => (await fetch(`${fx.url}/readyz`)).ok, { timeoutMs: 20_000, what: 'readiness' });
  probe = await WriteBehindProbe.open(wb);
});
afterAll(async () => {
  await fx?.close();
  await probe?.close();
  await closePool();
});

const reserve = (sku: string, qty: number, orderId = freshOrderId()) => post(`${fx.url}/stock/${sku}/reserve`, { qty, orderId });
const top = async (limit?: number) => (await call(`${fx.url}/leaderboard/top-sellers${limit === undefined ? '' : `?limit=${limit}`}`)).body;

describe('GET /leaderboard/top-sellers', () => {
  it('ranks the SKUs by units sold, exactly, across every shard', async () => {
    const skus = await Promise.all(Array.from({ length: 12 }, () => fx.stockedSku(1_000)));
    const sold = new Map<string, number>();
    await inParallel(skus.length * 3, 8, async (i) => {
      const sku = skus[i % skus.length]!;
      const qty = ((i * 7) % 13) + 1;
      const reply = await reserve(sku, qty);
      if (reply.status === 200) sold.set(sku, (sold.get(sku) ?? 0) + qty);
      return reply.status === 200;
    });
    expect(new Set(skus.map((sku) => shardOf(sku, 16))).size).toBeGreaterThan(4);

    const expected = [...sold.entries()]
      .map(([sku, units]) => ({ sku, sold: units }))
      .sort((a, b) => b.sold - a.sold || (a.sku < b.sku ? -1 : 1))
      .slice(0, 5)
      .map((entry, i) => ({ rank: i + 1, ...entry }));
    expect(await top(5)).toEqual({ limit: 5, source: 'redis', items: expected });
    expect((await top()).items).toHaveLength(10);
  });

  it('counts a sale once, however often its reservation is replayed', async () => {
    const sku = await fx.stockedSku(100);
    const orderId = freshOrderId();
    const replies = await Promise.all(Array.from({ length: 20 }, () => reserve(sku, 9, orderId)));
    expect(replies.every((r) => r.status === 200)).toBe(true);

    const entry = (await top(100)).items.find((item: { sku: string }) => item.sku === sku);
    expect(entry.sold).toBe(9);
    await waitForPersisted(probe, [sku], { sold: 9 });
    expect((await call(`${fx.url}/counters/${sku}`)).body.sold).toEqual({ persisted: 9, pending: 0 });
  });

  it('counts each SKU of a multi-SKU order under the same orderId', async () => {
    const [a, b] = [await fx.stockedSku(50), await fx.stockedSku(50)];
    const orderId = freshOrderId();
    expect((await reserve(a!, 2, orderId)).status).toBe(200);
    expect((await reserve(b!, 3, orderId)).status).toBe(200);

    const items = (await top(100)).items as { sku: string; sold: number }[];
    expect(items.find((item) => item.sku === a)?.sold).toBe(2);
    expect(items.find((item) => item.sku === b)?.sold).toBe(3);
  });

  it.each([['0'], ['101'], ['abc'], ['1.5'], ['-1']])('answers 400 to limit=%s', async (limit) => {
    const reply = await call(`${fx.url}/leaderboard/top-sellers?limit=${limit}`);
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('validation_failed');
  });

  it('answers 400 to an unknown query parameter', async () => {
    expect((await call(`${fx.url}/leaderboard/top-sellers?offset=3`)).status).toBe(400);
  });
});
