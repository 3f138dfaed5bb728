import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCategory } from './helpers/db';
import { createProduct } from './support/catalog-api';
import { filePrefix, startCatalogService, type RunningService } from './support/catalog-service';
import { call } from './support/http';

let svc: RunningService;
let prefix: string;
const word = `zq${Date.now().toString(36)}`; // a word no other product has
beforeAll(async () => {
  prefix = filePrefix();
  svc = await startCatalogService({ CACHE_KEY_PREFIX: prefix, SEARCH_TTL_MS: '5000' });
  const categoryId = await createCategory();
  await createProduct(svc.url, { categoryId, name: `Red ${word} lamp` });
  await createProduct(svc.url, { categoryId, name: `Blue ${word} lamp` });
});
afterAll(() => svc.close());

const search = (q: string) => call(`${svc.url}/search?q=${encodeURIComponent(q)}`);

/** Every key under this file's search namespace, from every master. */
async function searchKeys(): Promise<string[]> {
  const redis = svc.service.caches.store.redis;
  const nodes = (redis as Cluster).isCluster ? (redis as Cluster).nodes('master') : [redis];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${prefix}search:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
  }
  return keys;
}

describe('GET /search?q= (hashed keys)', () => {
  it('finds products by words, in name order', async () => {
    const reply = await search(`${word} lamp`);
    expect([reply.status, reply.body.total, reply.body.products.map((p: { name: string }) => p.name)]).toEqual([
      200, 2, [`Blue ${word} lamp`, `Red ${word} lamp`],
    ]);
  });

  it('queries that normalise alike share one entry', async () => {
    const first = await search(`RED ${word}`);
    expect([first.cache, first.body.total, first.body.query]).toEqual(['miss', 1, `red ${word}`]); // terms sorted
    for (const variant of [`red ${word}`, `  ${word.toUpperCase()}   red!! `, `${word}, Red`]) {
      const reply = await search(variant);
      expect([variant, reply.cache, reply.body]).toEqual([variant, 'hit', first.body]);
    }
  });

  it('never puts the text into a key: only its hash, with a short TTL', async () => {
    await search(`{${word}}:secret text`);
    const keys = await searchKeys();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatch(new RegExp(`^${prefix}search:\\{[A-Za-z0-9_-]{22}\\.p\\d+\\}:(results|ver|results\\.lock)$`));
      expect(key).not.toContain(word);
      expect(key).not.toContain('secret');
    }
    const entries = keys.filter((key) => key.endsWith(':results'));
    for (const key of entries) {
      const ttl = await svc.service.caches.store.redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5_500); // SEARCH_TTL_MS plus its 10% jitter
    }
  });

  it('text without letters or digits is a 400, as is a missing or oversized query', async () => {
    expect(await search('!!! ---')).toMatchObject({ status: 400, body: { error: { code: 'empty_query' } } });
    expect((await call(`${svc.url}/search`)).status).toBe(400);
    expect((await search('x'.repeat(201))).status).toBe(400);
    expect((await call(`${svc.url}/search?q=a&q=b`)).status).toBe(400);
  });
});
