import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql as sqlOn, TcpProxy, truncateTables, uniqueName, waitFor } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedDatabase, testDatabaseUrl } from './helpers/db';
import { filePrefix, startCatalogService, testEnv, type RunningService } from './support/catalog-service';
import { call } from './support/http';
import { spawnCatalogService, spawnCatalogServiceWithChaos, type ServiceProcess } from './support/service-process';

/*
 * The Bloom filter never answers "absent" for a product that exists, whoever created it and
 * whenever the instances started (docs/patterns/bloom-filter.md, "Coverage"). These tests run on a
 * database of their own, emptied first: the services start BEFORE any product exists, as
 * `npm run demo` starts them before its seed.
 */
const databaseUrl = testDatabaseUrl.replace(/\/[^/?]+(\?|$)/, '/cachelab_catalog_bloom_test$1');
const sql = <T extends Record<string, unknown>>(text: string, values?: unknown[]) => sqlOn<T>(databaseUrl, text, values);
const STALE_MS = 2_500; // BLOOM_COVERAGE_STALE_MS, the documented bound (the default)

let prefix: string;
let env: Record<string, string>;
let a: ServiceProcess;
let b: ServiceProcess;
const spawned: ServiceProcess[] = [];

beforeAll(async () => {
  await migratedDatabase(databaseUrl);
  await truncateTables(databaseUrl);
  prefix = filePrefix();
  env = { DATABASE_URL: databaseUrl, CACHE_KEY_PREFIX: prefix, BLOOM_COVERAGE_STALE_MS: String(STALE_MS) };
  [a, b] = await Promise.all([spawnCatalogService(env), spawnCatalogService(env)]);
  spawned.push(a, b);
});
afterAll(async () => {
  await Promise.all(spawned.map((instance) => instance.stop()));
});

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** GET /products/:id for every id, `concurrency` at a time: the ids that were not answered 200. */
async function notFound(url: string, ids: readonly number[], concurrency = 32): Promise<{ id: number; status: number; bloom: string | null }[]> {
  const failed: { id: number; status: number; bloom: string | null }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const reply = await call(`${url}/products/${id}`);
        if (reply.status !== 200) failed.push({ id, status: reply.status, bloom: reply.headers.get('x-bloom') });
      }
    }),
  );
  return failed;
}

function seed(products: number, extra: Record<string, string> = {}): { status: number | null; ms: number; output: string } {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'scripts', 'seed.ts')], {
    cwd: join(__dirname, '..'),
    env: { ...process.env, ...testEnv({ ...env, LOG_LEVEL: 'info', PRODUCTS: String(products), CATEGORIES: '40', ...extra }) },
    encoding: 'utf8',
  });
  return { status: result.status, ms: performance.now() - started, output: result.stdout + result.stderr };
}

describe('Bloom filter coverage: services started before their data', () => {
  it('after the real seed, every one of its 5,000 products answers 200, on both instances', async () => {
    // The trap of issue 8: the filter was built from an empty table, and is trusted.
    const before = await call(`${a.url}/products/1`);
    expect([before.status, before.headers.get('x-bloom')]).toEqual([404, 'negative']);

    const seeded = seed(5_000);
    expect(seeded.status, seeded.output).toBe(0);
    // It drained the outbox itself (the instances, notified at its commit, may have been faster).
    expect(seeded.output).toContain('Bloom filter outbox drained');

    expect(await notFound(a.url, range(1, 5_000))).toEqual([]);
    expect(await notFound(b.url, range(1, 5_000))).toEqual([]);
    expect(await sql(`SELECT * FROM "BloomOutbox"`)).toEqual([]);
  });

  it('the same when the seed cannot reach Redis: the instances drain its outbox rows', async () => {
    const unreachable = { REDIS_NODES: '127.0.0.1:1', REDIS_SENTINELS: '127.0.0.1:1' };
    const seeded = seed(6_000, unreachable); // adds products 5,001 to 6,000
    expect(seeded.status, seeded.output).toBe(0);
    expect(seeded.output).toContain('could not drain the Bloom filter outbox');
    expect(await notFound(b.url, range(5_001, 6_000))).toEqual([]);
    expect(await notFound(a.url, range(5_001, 6_000))).toEqual([]);
  });

  it(`a bulk insert by plain SQL is served by every instance within BLOOM_COVERAGE_STALE_MS (${STALE_MS} ms) of its commit`, async () => {
    const [{ id: categoryId }] = (await sql<{ id: number }>(`INSERT INTO "Category" (slug, name) VALUES ($1, 'SQL') RETURNING id`, [uniqueName('sql-')])) as [{ id: number }];
    const rows = await sql<{ id: number }>(
      `INSERT INTO "Product" (sku, name, "priceCents", "categoryId", "updatedAt")
       SELECT $1 || g, 'Inserted by SQL ' || g, 100, $2, now() FROM generate_series(1, 300) AS g RETURNING id`,
      [uniqueName('SQL-') + '-', categoryId],
    );
    const committed = performance.now();
    const ids = rows.map((row) => row.id);
    const waiting = { [a.url]: ids, [b.url]: ids };
    await waitFor(
      async () => {
        for (const url of [a.url, b.url]) waiting[url] = (await notFound(url, waiting[url]!)).map((miss) => miss.id);
        return waiting[a.url]!.length === 0 && waiting[b.url]!.length === 0;
      },
      { timeoutMs: 30_000, what: 'every SQL-inserted product to answer 200' },
    );
    expect(performance.now() - committed).toBeLessThan(STALE_MS);
  });

  it('a product created on an instance cut off from Redis is acknowledged once another drained it, and survives its SIGKILL', async () => {
    const c = await spawnCatalogServiceWithChaos(env);
    spawned.push(c);
    const [{ id: categoryId }] = (await sql<{ id: number }>(`INSERT INTO "Category" (slug, name) VALUES ($1, 'Chaos') RETURNING id`, [uniqueName('chaos-')])) as [{ id: number }];
    c.child.kill('SIGUSR2'); // its Redis is gone, for it alone
    // Its breaker opens on the first failures (until then the write rate limiter answers 503).
    await waitFor(async () => (await call(`${c.url}/products/1`)).cache === 'bypass', { what: 'the cut-off instance to bypass Redis' });

    let created: { status: number; body: { id: number } } | undefined;
    await waitFor(
      async () => {
        const reply = await call(`${c.url}/products`, { method: 'POST', json: { sku: uniqueName('CUT-'), name: 'Made while cut off', priceCents: 5, categoryId } });
        if (reply.status === 201) created = reply;
        return created;
      },
      { what: 'a 201 from the cut-off instance' },
    );
    c.child.kill('SIGKILL'); // right after the 201: whatever it kept in memory is gone
    const id = created!.body.id;

    const read = await call(`${a.url}/products/${id}`);
    expect([read.status, read.headers.get('x-bloom')]).toEqual([200, 'miss']);
    expect((await call(`${b.url}/products/${id}`)).status).toBe(200);
    expect(await sql(`SELECT * FROM "BloomOutbox" WHERE "productId" = $1`, [id])).toEqual([]);
  });
});

describe('Bloom filter coverage states', () => {
  let proxy: TcpProxy;
  let d: RunningService;
  beforeAll(async () => {
    const url = new URL(databaseUrl);
    proxy = await new TcpProxy({ host: url.hostname, port: Number(url.port) }).start();
    url.port = String(proxy.port);
    d = await startCatalogService({ ...env, DATABASE_URL: url.toString() });
  });
  afterAll(async () => {
    proxy?.up();
    await d?.close();
    await proxy?.close();
  });

  it('an instance whose drain cannot run answers bypass, never "absent"; negative again once it drains', async () => {
    const coverage = d.service.reads.coverage!;
    await waitFor(() => coverage.state === 'covered', { what: 'the instance to be covered' });
    const unknown = 1_900_000_000;
    expect((await call(`${d.url}/products/${unknown}`)).headers.get('x-bloom')).toBe('negative');

    proxy.down(); // its Postgres: no drain, no notifications; products may be committed unseen
    await waitFor(() => coverage.state === 'lagging', { what: 'the coverage to lapse' });
    expect(await coverage.check(unknown)).toEqual({ maybe: true, result: 'bypass' });
    const reply = await call(`${d.url}/products/${unknown}`);
    expect(reply.status).not.toBe(404); // looked up, and the lookup needs the database: 503
    expect(reply.body.error.code).not.toBe('not_found');

    proxy.up();
    await waitFor(() => coverage.state === 'covered', { timeoutMs: 15_000, what: 'the coverage to come back' });
    expect((await call(`${d.url}/products/${unknown}`)).headers.get('x-bloom')).toBe('negative');
  });
});
