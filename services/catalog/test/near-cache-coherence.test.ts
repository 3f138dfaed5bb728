import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCategory } from './helpers/db';
import { createProduct, patchProduct, type Product } from './support/catalog-api';
import { filePrefix } from './support/catalog-service';
import { call } from './support/http';
import { spawnCatalogService, type ServiceProcess } from './support/service-process';

/** How long another instance may still serve the old row after a write was acknowledged. */
const STALENESS_BOUND_MS = 1_000;

// Two real processes, each with its own in-memory near cache and its own subscriber.
let a: ServiceProcess;
let b: ServiceProcess;
let categoryId: number;
beforeAll(async () => {
  const env = { CACHE_KEY_PREFIX: filePrefix(), NEAR_CACHE_HEARTBEAT_MS: '200' };
  [a, b] = await Promise.all([spawnCatalogService(env), spawnCatalogService(env)]);
  categoryId = await createCategory();
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

const read = (instance: ServiceProcess, id: number) => call<Product>(`${instance.url}/products/${id}`);

/** Reads on `instance` until it serves `version`; returns how long that took after `since`. */
async function staleFor(instance: ServiceProcess, id: number, version: number, since: number): Promise<number> {
  for (;;) {
    const reply = await read(instance, id);
    if (reply.body.version >= version) return performance.now() - since;
    if (performance.now() - since > 10_000) throw new Error(`still version ${reply.body.version} after 10 s`);
  }
}

describe('near cache in front of Redis, across two instances', () => {
  it('serves a hot product from memory', async () => {
    const product = await createProduct(a.url, { categoryId });
    const first = await read(b, product.id);
    const second = await read(b, product.id);
    expect([first.headers.get('x-near-cache'), first.cache]).toEqual(['miss', 'hit']); // Redis had it (write-through)
    expect([second.headers.get('x-near-cache'), second.cache, second.body]).toEqual(['hit', 'hit', first.body]);
  });

  it('a write on one instance is not served stale by the other beyond a bounded delay', async () => {
    const product = await createProduct(a.url, { categoryId, priceCents: 0 });
    const windows: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const writer = i % 2 ? a : b;
      const other = i % 2 ? b : a;
      await read(other, product.id);
      expect((await read(other, product.id)).headers.get('x-near-cache')).toBe('hit'); // held in memory there
      const patched = await patchProduct(writer.url, product.id, { priceCents: i });
      const acknowledged = performance.now();
      // The writer itself never serves its own old row.
      expect((await read(writer, product.id)).body.version).toBe(patched.version);
      windows.push(await staleFor(other, product.id, patched.version, acknowledged));
    }
    windows.sort((x, y) => x - y);
    expect(windows.at(-1)!).toBeLessThan(STALENESS_BOUND_MS);
    console.info(`near-cache staleness after an acknowledged write: p50 ${windows[10]!.toFixed(1)} ms, max ${windows.at(-1)!.toFixed(1)} ms`);
  });

  it('a delete reaches the other instance near cache too', async () => {
    const product = await createProduct(a.url, { categoryId });
    await read(b, product.id);
    expect((await read(b, product.id)).headers.get('x-near-cache')).toBe('hit');
    expect((await call(`${a.url}/products/${product.id}`, { method: 'DELETE' })).status).toBe(204);
    const since = performance.now();
    for (;;) {
      if ((await read(b, product.id)).status === 404) break;
      expect(performance.now() - since).toBeLessThan(STALENESS_BOUND_MS);
    }
  });
});
