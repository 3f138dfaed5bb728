import { randomUUID } from 'node:crypto';
import type { Batch } from '@cachelab/cache';
import { afterAll, describe, expect, it } from 'vitest';
import { createPrisma } from '../src/db/client';
import { applyBatch } from '../src/write-behind/apply-batch';
import { testDatabaseUrl } from './helpers/db';
import { freshSku } from './support/skus';
import { appliedBatchIds, closePool, persistedTotals } from './support/write-behind-env';

/** The one statement that persists a batch: once per batch id, whatever races it. */
const prisma = createPrisma(testDatabaseUrl, { poolSize: 12 });
afterAll(async () => {
  await prisma.$disconnect();
  await closePool();
});

const batch = (deltas: Batch['deltas'], once: Batch['once'] = []): Batch => ({
  id: `test:${randomUUID()}`,
  shard: 0,
  deltas,
  increments: deltas.reduce((sum, d) => sum + d.by, 0),
  once,
  traces: [],
  rejected: [],
});

describe('applying a write-behind batch to Postgres', () => {
  it('honours the sales identities: a sale Postgres holds counts once, a revocation takes back only what it holds', async () => {
    const sku = freshSku();
    const held = `sale:${sku}:${randomUUID()}`; // counted by the fallback, straight into Postgres
    await applyBatch(prisma, { ...batch([{ id: sku, counter: 'sold', by: 4 }]), id: held });
    const persisted = `sale:${sku}:${randomUUID()}`;
    await applyBatch(prisma, batch([{ id: sku, counter: 'sold', by: 2 }], [{ key: persisted, id: sku, counter: 'sold', by: 2 }]));
    expect((await persistedTotals([sku])).sold).toBe(6);

    const fresh = `sale:${sku}:${randomUUID()}`;
    const never = `sale:${sku}:${randomUUID()}`;
    // +4 (held: already counted), +5 (fresh), -2 (persisted: taken back), -3 (never counted): a net +4 in the deltas.
    const mixed = batch(
      [{ id: sku, counter: 'sold', by: 4 }],
      [
        { key: held, id: sku, counter: 'sold', by: 4 },
        { key: fresh, id: sku, counter: 'sold', by: 5 },
        { key: persisted, id: sku, counter: 'sold', by: -2 },
        { key: never, id: sku, counter: 'sold', by: -3 },
      ],
    );
    expect(await applyBatch(prisma, mixed)).toBe('applied');

    expect((await persistedTotals([sku])).sold).toBe(4 + 5); // held once, fresh, persisted taken back
    expect((await appliedBatchIds([held, fresh, persisted, never])).sort()).toEqual([held, fresh].sort());
  });

  it('applies a batch sent ten times at once exactly once', async () => {
    const sku = freshSku();
    const same = batch([
      { id: sku, counter: 'views', by: 7 },
      { id: sku, counter: 'sold', by: 2 },
    ]);

    const results = await Promise.all(Array.from({ length: 10 }, () => applyBatch(prisma, same)));

    expect(results.filter((r) => r === 'applied')).toHaveLength(1);
    expect(results.filter((r) => r === 'duplicate')).toHaveLength(9);
    expect(await persistedTotals([sku])).toEqual({ views: 7, sold: 2 });
    expect(await appliedBatchIds([same.id])).toEqual([same.id]);
  });

  it('applies many batches of the same SKUs concurrently without deadlocking or losing a delta', async () => {
    const skus = Array.from({ length: 6 }, () => freshSku());
    // Each batch lists the SKUs in a different order: the statement must lock rows in SKU order.
    const batches = Array.from({ length: 24 }, (_, i) =>
      batch(skus.map((_, j) => ({ id: skus[(i + j) % skus.length]!, counter: 'views', by: 1 + ((i + j) % 3) }))),
    );

    const results = await Promise.all(batches.map((b) => applyBatch(prisma, b)));

    expect(results.every((r) => r === 'applied')).toBe(true);
    const expected = batches.reduce((sum, b) => sum + b.increments, 0);
    expect((await persistedTotals(skus)).views).toBe(expected);
  });

  it('ignores counters it does not know without failing the batch', async () => {
    const sku = freshSku();
    expect(await applyBatch(prisma, batch([{ id: sku, counter: 'likes', by: 3 }, { id: sku, counter: 'views', by: 1 }]))).toBe('applied');
    expect(await persistedTotals([sku])).toEqual({ views: 1, sold: 0 });
  });
});
