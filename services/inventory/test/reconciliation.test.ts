import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '@cachelab/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockKeys } from '../src/stock/keys';
import { reconcileStock, type ReconcileOptions } from '../src/stock/reconcile';
import { sql } from './helpers/db';
import { startFixture, type Fixture } from './support/fixture';
import { testEnv } from './support/inventory-service';
import { call, post } from './support/http';
import { freshOrderId } from './support/skus';

let fx: Fixture;

beforeAll(async () => {
  fx = await startFixture();
});

afterAll(async () => {
  await fx?.close();
});

const redis = () => fx.inventory.service.redis;
const available = async (sku: string) => (await call(`${fx.url}/stock/${sku}`)).body.available as number;
const reconcile = (skus: string[], options: Partial<ReconcileOptions> = {}) =>
  reconcileStock(
    { store: fx.inventory.service.store, prisma: fx.inventory.service.prisma, logger: createLogger('reconcile-test') },
    { dryRun: false, graceMs: 30_000, skus, ...options },
  );

/** Redis' whole state of a SKU, to compare before and after a loss. */
async function redisState(sku: string) {
  const keys = stockKeys(sku);
  const [stock, reservations, released] = await Promise.all([
    redis().get(keys.stock),
    redis().hgetall(keys.reservations),
    redis().hgetall(keys.released),
  ]);
  const qtys = (hash: Record<string, string>) => Object.fromEntries(Object.entries(hash).map(([order, value]) => [order, value.split(':')[0]]));
  return { stock, reservations: qtys(reservations), released: qtys(released) };
}

/** A SKU with history: two live reservations and one released. */
async function skuWithHistory() {
  const sku = await fx.stockedSku(50);
  const [keep1, keep2, gone] = [freshOrderId(), freshOrderId(), freshOrderId()];
  await post(`${fx.url}/stock/${sku}/reserve`, { qty: 5, orderId: keep1 });
  await post(`${fx.url}/stock/${sku}/reserve`, { qty: 7, orderId: keep2 });
  await post(`${fx.url}/stock/${sku}/reserve`, { qty: 3, orderId: gone });
  await post(`${fx.url}/stock/${sku}/release`, { orderId: gone });
  return { sku, keep1, keep2, gone };
}

describe('after Redis lost a SKU entirely', () => {
  it('the reconciliation rebuilds it exactly from Postgres', async () => {
    const { sku } = await skuWithHistory();
    const before = await redisState(sku);
    expect(before.stock).toBe('38');
    await fx.inventory.service.store.forget(sku);

    const report = await reconcile([sku]);

    expect(report.drifted).toHaveLength(1);
    expect(report.drifted[0]).toMatchObject({ sku, before: null, after: 38, oversold: false });
    expect(await redisState(sku)).toEqual(before);
  });

  it('the service rebuilds it on first use: held units stay held, released order ids stay used', async () => {
    const { sku, keep1, gone } = await skuWithHistory();
    await fx.inventory.service.store.forget(sku);

    expect(await available(sku)).toBe(38);
    expect((await post(`${fx.url}/stock/${sku}/reserve`, { qty: 5, orderId: keep1 })).body).toMatchObject({ replayed: true, available: 38 });
    expect((await post(`${fx.url}/stock/${sku}/reserve`, { qty: 3, orderId: gone })).status).toBe(409);
  });

  it('a reservation is the first to notice, and still answers correctly', async () => {
    const { sku } = await skuWithHistory();
    await fx.inventory.service.store.forget(sku);

    const reply = await post(`${fx.url}/stock/${sku}/reserve`, { qty: 8, orderId: freshOrderId() });

    expect(reply.body).toMatchObject({ available: 30, replayed: false });
  });
});

describe('drift in either direction is reported and repaired', () => {
  it('a reservation Postgres recorded but Redis lost (a failover dropped the write) is put back', async () => {
    const { sku, keep1 } = await skuWithHistory();
    const keys = stockKeys(sku);
    await redis().hdel(keys.reservations, keep1);
    await redis().incrby(keys.stock, 5);

    const report = await reconcile([sku]);

    expect(report.drifted[0]!.changes).toEqual(
      expect.arrayContaining([{ kind: 'missing_in_redis', orderId: keep1, qty: 5 }, { kind: 'available', orderId: '', qty: 38 }]),
    );
    expect(await available(sku)).toBe(38);
    expect((await redisState(sku)).reservations[keep1]).toBe('5');
  });

  it('a reservation only Redis holds (its request died before Postgres) is freed once older than the grace period', async () => {
    const sku = await fx.stockedSku(10);
    const orphan = freshOrderId('orphan');
    await fx.inventory.service.store.reserve(sku, orphan, 4); // the script ran; the insert never did

    const young = await reconcile([sku], { graceMs: 60_000 });
    expect(young.drifted).toEqual([]); // it may still be in flight
    expect(await available(sku)).toBe(6);

    const old = await reconcile([sku], { graceMs: 0 });
    expect(old.drifted[0]!.changes).toEqual([
      { kind: 'orphan', orderId: orphan, qty: 4 },
      { kind: 'available', orderId: '', qty: 10 },
    ]);
    expect(await available(sku)).toBe(10);
    // Freed without a tombstone: nobody was told it succeeded, so the order may be tried again.
    expect((await post(`${fx.url}/stock/${sku}/reserve`, { qty: 4, orderId: orphan })).body).toMatchObject({ replayed: false });
  });

  it('a release Redis made but Postgres did not record is recorded in Postgres', async () => {
    const { sku, keep2 } = await skuWithHistory();
    await fx.inventory.service.store.release(sku, keep2); // as if the process died before the update

    const report = await reconcile([sku]);

    expect(report.releasesRecorded).toBe(1);
    expect(report.drifted[0]!.changes).toEqual([{ kind: 'released_in_redis', orderId: keep2, qty: 7 }]);
    const rows = await sql(`SELECT status FROM "Reservation" WHERE sku = $1 AND "orderId" = $2`, [sku, keep2]);
    expect(rows).toEqual([{ status: 'released' }]);
    expect(await available(sku)).toBe(45);
  });

  it('a release Postgres recorded but Redis missed gives the units back in Redis', async () => {
    const { sku, keep1 } = await skuWithHistory();
    await sql(`UPDATE "Reservation" SET status = 'released', "releasedAt" = now() WHERE sku = $1 AND "orderId" = $2`, [sku, keep1]);

    const report = await reconcile([sku]);

    expect(report.drifted[0]!.changes).toEqual(
      expect.arrayContaining([{ kind: 'released_in_postgres', orderId: keep1, qty: 5 }, { kind: 'available', orderId: '', qty: 43 }]),
    );
    expect(await redisState(sku)).toMatchObject({ stock: '43', released: expect.objectContaining({ [keep1]: '5' }) });
  });

  it('a wrong available count is set back to total minus what is held', async () => {
    const { sku } = await skuWithHistory();
    await redis().set(stockKeys(sku).stock, 999);

    const report = await reconcile([sku]);

    expect(report.drifted[0]).toMatchObject({ before: 999, after: 38, changes: [{ kind: 'available', orderId: '', qty: 38 }] });
    expect(await available(sku)).toBe(38);
  });

  it('a dry run reports the drift and changes nothing', async () => {
    const { sku } = await skuWithHistory();
    await redis().set(stockKeys(sku).stock, 1);

    const report = await reconcile([sku], { dryRun: true });

    expect(report.drifted[0]).toMatchObject({ before: 1, after: 38 });
    expect(await available(sku)).toBe(1);
  });

  it('a SKU in agreement is not reported', async () => {
    const { sku } = await skuWithHistory();

    expect((await reconcile([sku])).drifted).toEqual([]);
  });
});

describe('npm run reconcile', () => {
  const run = promisify(execFile);
  const script = join(__dirname, '..', 'scripts', 'reconcile.ts');
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, ...testEnv() }, cwd: join(__dirname, '..') });

  it('--dry-run reports drift with exit code 2; without it, repairs and exits 0', async () => {
    const { sku } = await skuWithHistory();
    await fx.inventory.service.store.forget(sku);

    const dry = await cli('--dry-run', '--json', '--sku', sku).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code: number; stdout: string }) => error,
    );
    expect(dry.code).toBe(2);
    expect(JSON.parse(dry.stdout).drifted[0]).toMatchObject({ sku, before: null, after: 38 });

    const repair = await cli('--sku', sku);
    expect(repair.stdout).toContain(`${sku}: available missing -> 38`);
    expect(repair.stdout).toContain('1 SKUs checked, 1 drifted, repaired');
    expect(await available(sku)).toBe(38);
  });
});
