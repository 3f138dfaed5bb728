import { decode } from '@cachelab/cache';
import { readCounter } from '@cachelab/telemetry';
import { ChaosRedis, testRedisConfig, waitFor } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WriteEvent } from '../src/caching/product-writes';
import { createCategory, sql } from './helpers/db';
import { createProduct, keysOf, type Product } from './support/catalog-api';
import { filePrefix, startCatalogService, type RunningService } from './support/catalog-service';
import { call } from './support/http';

// The writer reaches Redis through fault-injecting proxies and loses it right after its commit
// (the afterCommit hook), before its cache write. Another instance reaches Redis directly.
let chaos: ChaosRedis;
let writer: RunningService;
let other: RunningService;
let prefix: string;
let categoryId: number;
let cutAfterCommit: ((event: WriteEvent) => boolean) | undefined;

beforeAll(async () => {
  prefix = filePrefix();
  chaos = await ChaosRedis.forTestStack(testRedisConfig());
  writer = await startCatalogService(
    { CACHE_KEY_PREFIX: prefix, REPAIR_INTERVAL_MS: '100' },
    {
      redis: chaos.config,
      hooks: {
        afterCommit: (event) => {
          if (cutAfterCommit?.(event)) chaos.down();
        },
      },
    },
  );
  other = await startCatalogService({ CACHE_KEY_PREFIX: prefix, REPAIR_INTERVAL_MS: '100' });
  categoryId = await createCategory();
});
afterAll(async () => {
  chaos?.up();
  await Promise.all([writer?.close(), other?.close()]);
  await chaos?.close();
});

const failures = async () =>
  readCounter(await (await fetch(`${writer.url}/metrics`)).text(), 'cachelab_cache_write_failures_total', { pattern: 'write-through' });
const repairsOf = async (id: number) => sql(`SELECT * FROM "CacheRepair" WHERE "entityId" = $1 AND namespace = $2`, [String(id), `${prefix}product`]);
const cachedVersion = async (id: number) => decode<Product>(await other.service.caches.store.redis.get(keysOf(prefix).product(id)));

describe('the cache write fails after the database commit', () => {
  it('is counted, the entry is repaired by an instance that reaches Redis, and the writer never serves the old row', async () => {
    const product = await createProduct(writer.url, { categoryId, priceCents: 100 });
    expect(await call(`${other.url}/products/${product.id}`)).toMatchObject({ cache: 'hit', body: { priceCents: 100 } });
    const failuresBefore = await failures();

    cutAfterCommit = (event) => event.operation === 'update' && event.id === product.id;
    const patched = await call<Product>(`${writer.url}/products/${product.id}`, { method: 'PATCH', json: { priceCents: 200 } });
    cutAfterCommit = undefined;

    // The write is acknowledged: it is committed, and the database is the source of truth.
    expect([patched.status, patched.body.priceCents, patched.body.version]).toEqual([200, 200, 2]);
    expect(await failures()).toBe(failuresBefore + 1);
    // The writer answers from the database, never from the entry it could not fix.
    expect(await call(`${writer.url}/products/${product.id}`)).toMatchObject({ cache: 'bypass', body: { priceCents: 200 } });

    // The repair was recorded in Postgres, and the other instance's repairer drops the old entry
    // at version 2 within a few of its 100 ms passes: readers there load the new row.
    await waitFor(async () => (await repairsOf(product.id)).length === 0 && (await cachedVersion(product.id)) === null, {
      what: 'the repair to be applied by the other instance',
    });
    expect(await call(`${other.url}/products/${product.id}`)).toMatchObject({ cache: 'miss', body: { priceCents: 200, version: 2 } });
    expect(await other.service.caches.store.redis.get(keysOf(prefix).rowVersion(product.id))).toBe('2');

    chaos.up();
    // Back on Redis, the writer learns the repair was applied elsewhere and reads from the cache again.
    await waitFor(async () => (await call(`${writer.url}/products/${product.id}`)).cache === 'hit', { what: 'the writer to use the cache again' });
    expect((await call(`${writer.url}/products/${product.id}`)).body).toMatchObject({ priceCents: 200, version: 2 });
  });

  it('without the repair the old row would have stayed in Redis (the test can fail)', async () => {
    const product = await createProduct(writer.url, { categoryId, priceCents: 100 });
    await other.service.caches.repairer.stop(); // nobody drains the log...
    await writer.service.caches.repairer.stop();
    try {
      cutAfterCommit = (event) => event.id === product.id;
      expect((await call(`${writer.url}/products/${product.id}`, { method: 'PATCH', json: { priceCents: 300 } })).status).toBe(200);
      cutAfterCommit = undefined;
      // ...so the other instance serves the row the database no longer has.
      expect(await call(`${other.url}/products/${product.id}`)).toMatchObject({ cache: 'hit', body: { priceCents: 100 } });
      expect(await repairsOf(product.id)).toHaveLength(1);
    } finally {
      chaos.up();
      other.service.caches.repairer.start();
      writer.service.caches.repairer.start();
    }
    await waitFor(async () => (await call(`${other.url}/products/${product.id}`)).body.priceCents === 300, { what: 'the repair' });
  });

  it('a delete whose cache write fails is repaired too: the product is not found anywhere', async () => {
    const product = await createProduct(writer.url, { categoryId });
    // (The writer's breaker may still be open from the test before: then the entry is filled by a read.)
    await waitFor(async () => (await call(`${other.url}/products/${product.id}`)).cache === 'hit', { what: 'the product to be cached' });
    cutAfterCommit = (event) => event.operation === 'delete' && event.id === product.id;
    expect((await call(`${writer.url}/products/${product.id}`, { method: 'DELETE' })).status).toBe(204);
    cutAfterCommit = undefined;
    expect((await call(`${writer.url}/products/${product.id}`)).status).toBe(404);
    await waitFor(async () => (await call(`${other.url}/products/${product.id}`)).status === 404, { what: 'the repair of the deleted entry' });
    chaos.up();
  });
});

describe('Redis unreachable for a while', () => {
  it('reads and writes keep working from Postgres, and every write made meanwhile is repaired', async () => {
    const product = await createProduct(writer.url, { categoryId, priceCents: 1 });
    chaos.down();
    for (let i = 2; i <= 6; i++) {
      expect((await call(`${writer.url}/products/${product.id}`, { method: 'PATCH', json: { priceCents: i } })).status).toBe(200);
      expect(await call(`${writer.url}/products/${product.id}`)).toMatchObject({ status: 200, cache: 'bypass', body: { priceCents: i } });
    }
    expect(await call(`${writer.url}/categories/${categoryId}/products`)).toMatchObject({ status: 200, cache: 'bypass' });
    expect(await call(`${writer.url}/search?q=test`)).toMatchObject({ status: 200, cache: 'bypass' });
    expect((await call(`${writer.url}/readyz`)).status).toBe(503);
    chaos.up();

    await waitFor(async () => (await call(`${other.url}/products/${product.id}`)).body.priceCents === 6, { what: 'the repairs' });
    await waitFor(async () => (await call(`${writer.url}/products/${product.id}`)).cache === 'hit', { what: 'caching to resume' });
    expect((await call(`${writer.url}/products/${product.id}`)).body.priceCents).toBe(6);
  });
});
