/**
 * The trace tour: provokes, once each, every behaviour docs/traces.md shows, so that a demo run
 * has a real trace of each (scripts/demo/trace-links.ts then finds them). Some never happen under
 * the k6 scenarios (a stale answer needs an entry past its TTL, a degraded read needs Redis to
 * fail), so the tour makes them happen on purpose, through the services' public and /lab routes:
 *
 *   hit, miss, negative     GET /users/:id of a new user (twice), of an id that does not exist (twice)
 *   in-process follower     20 concurrent GET /users/:id of a cold user: one loads, the rest share it
 *   lock waiter             the tour acts as a second instance (the same CacheAside, its own Redis
 *                           connection) that holds the lease while it loads; the service waits on it
 *   stale, early refresh    the summary entry is aged in Redis (its envelope's expiry rewritten): past
 *                           expiry for a stale answer, "slow to compute" for an XFetch roll
 *   degraded read           a temporary user-service instance behind a TCP proxy, which is then cut
 *   catalog                 a Bloom "no", a near-cache hit, a write-through PATCH, a tag invalidation
 *   inventory               a restock and a reservation (the catalog call in the same trace, the Lua
 *                           script), product views persisted by the write-behind flush
 *
 * Usage: node --import tsx scripts/demo/trace-tour.ts   (against the running native stack), or
 * `runTraceTour({ user, catalog, inventory })` from the demo after its k6 scenarios.
 */
import { CacheAside, CacheStore, encode } from '@cachelab/cache';
import { closeRedis, createRedis, waitForReady, type RedisConnectionConfig } from '@cachelab/redis';
import { redisConfigFromEnv } from '@cachelab/config';
import { spawnService, TcpProxy } from '@cachelab/testing';
import { join } from 'node:path';
import { repoRoot } from '../../infra/native/paths';
import { serviceEnv } from '../../infra/native/services';

export interface TourUrls {
  user: string;
  catalog: string;
  inventory: string;
}

export interface TourOptions {
  /** The Redis the user service caches in (for the tour's "second instance"); the native stack's by default. */
  redis?: RedisConnectionConfig;
  /** The user service's CACHE_KEY_PREFIX (empty in the native stack). */
  userKeyPrefix?: string;
  /** Environment of the temporary user-service instance of the degraded read; the native stack's by default. */
  userEnv?: Record<string, string>;
  /** The Redis server (host:port) that instance reaches through the proxy; the stack's standalone target by default. */
  standaloneRedis?: string;
  log?: (line: string) => void;
}

/** What the tour did, per behaviour: the response header that proves it happened. */
export type TourReport = Record<string, string>;

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

async function call(url: string, init: { method?: string; json?: unknown } = {}): Promise<Reply> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json), headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body };
}

function expectStatus(reply: Reply, status: number, what: string): Reply {
  if (reply.status !== status) throw new Error(`${what}: expected ${status}, got ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply;
}

const cacheOf = (reply: Reply) => reply.headers.get('x-cache') ?? '';
const stamp = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;

async function newUser(base: string, tag: string): Promise<number> {
  const reply = await call(`${base}/users`, { method: 'POST', json: { email: `tour-${tag}-${stamp()}@example.com`, name: `Tour ${tag}` } });
  return expectStatus(reply, 201, 'POST /users').body.id as number;
}

/** Tries `attempt` up to `times` times until it reports success (a race the tour must win once). */
async function untilItHappens(times: number, what: string, attempt: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < times; i += 1) if (await attempt()) return;
  throw new Error(`the trace tour could not provoke: ${what}`);
}

async function userTour(urls: TourUrls, options: TourOptions, report: TourReport): Promise<void> {
  const base = urls.user;
  const id = await newUser(base, 'hit');
  report.miss = cacheOf(await call(`${base}/users/${id}`));
  report.hit = cacheOf(await call(`${base}/users/${id}`));
  const missing = 2_000_000_000 - Math.floor(Math.random() * 1e6);
  await call(`${base}/users/${missing}`);
  report.negative = cacheOf(await call(`${base}/users/${missing}`));

  await untilItHappens(5, 'an in-process single-flight follower', async () => {
    const cold = await newUser(base, 'burst');
    const replies = await Promise.all(Array.from({ length: 20 }, () => call(`${base}/users/${cold}`)));
    report.coalesced = replies.some((reply) => cacheOf(reply) === 'coalesced') ? 'coalesced' : 'none';
    return report.coalesced === 'coalesced';
  });

  // The tour as a second instance of user-service: the same library, keys and loader.
  const redisConfig = options.redis ?? redisConfigFromEnv(serviceEnv('user') as unknown as NodeJS.ProcessEnv);
  const redis = createRedis(redisConfig, { purpose: 'cache', connectionName: 'trace-tour' });
  try {
    await waitForReady(redis);
    const store = new CacheStore(redis, { name: 'trace-tour' });
    const namespace = `${options.userKeyPrefix ?? ''}user`;
    const profiles = new CacheAside<unknown>(store, { namespace, kind: 'profile', ttlMs: 300_000 });
    await untilItHappens(5, 'a stampede follower waiting on the Redis lease', async () => {
      const cold = await newUser(base, 'lease');
      let release!: () => void;
      const mayFinish = new Promise<void>((resolve) => (release = resolve));
      // The lease holder loads the profile as the service would (the /lab route reads the same row).
      const holder = profiles.get(cold, async () => {
        const row = (await call(`${base}/lab/users/${cold}/unprotected`)).body;
        await mayFinish;
        return row;
      });
      while (!(await redis.exists(profiles.keys(cold).lock))) await new Promise((resolve) => setTimeout(resolve, 5));
      const waiter = call(`${base}/users/${cold}`);
      // The service looks up (miss), fails to take the lease, and polls for the holder's value.
      setTimeout(release, 300);
      const [reply] = await Promise.all([waiter, holder]);
      report.lockWaited = cacheOf(reply);
      return report.lockWaited === 'coalesced';
    });

    const summaryKey = (user: number) => `${namespace}:{${user}}:summary`;
    const stale = await newUser(base, 'stale');
    await call(`${base}/users/${stale}/summary`);
    const aged = JSON.parse((await redis.get(summaryKey(stale))) ?? '{}');
    await redis.set(summaryKey(stale), encode(aged.v, Date.now() - 1_000, aged.d ?? 1), 'PX', 300_000);
    report.stale = cacheOf(await call(`${base}/users/${stale}/summary`));

    const early = await newUser(base, 'xfetch');
    await call(`${base}/users/${early}/summary`);
    const fresh = JSON.parse((await redis.get(summaryKey(early))) ?? '{}');
    // Fresh for 30 s more, but its last computation "took" 10^9 ms: the XFetch roll refreshes now.
    await redis.set(summaryKey(early), encode(fresh.v, Date.now() + 30_000, 1e9), 'PX', 300_000);
    report.earlyRefresh = cacheOf(await call(`${base}/users/${early}/summary`));
  } finally {
    await closeRedis(redis);
  }

  await degradedRead(base, options, report);
}

/** A temporary user-service instance whose Redis is behind a TCP proxy, then cut: reads bypass Redis. */
async function degradedRead(base: string, options: TourOptions, report: TourReport): Promise<void> {
  const env: Record<string, string> = { ...(options.userEnv ?? (serviceEnv('user', { REDIS_MODE: 'standalone' }) as unknown as Record<string, string>)) };
  const [host, port] = (options.standaloneRedis ?? serviceEnv('user', { REDIS_MODE: 'standalone' }).REDIS_NODES.split(',')[0]!).split(':');
  const proxy = await new TcpProxy({ host: host!, port: Number(port) }).start();
  const instance = await spawnService({
    name: 'user-service (trace tour, Redis behind a proxy)',
    main: join(repoRoot, 'services', 'user', 'src', 'main.ts'),
    cwd: join(repoRoot, 'services', 'user'),
    env: { ...env, REDIS_MODE: 'standalone', REDIS_NODES: `127.0.0.1:${proxy.port}` },
  });
  try {
    const id = await newUser(base, 'degraded');
    proxy.down();
    report.bypass = cacheOf(await call(`${instance.url}/users/${id}`));
  } finally {
    await instance.stop(); // SIGTERM: its spans are flushed
    await proxy.close();
  }
}

async function catalogTour(urls: TourUrls, report: TourReport): Promise<string> {
  const base = urls.catalog;
  const tag = `tour-${stamp()}`;
  // Inventory takes SKU-<number>: a high random one, so that it is new to inventory's catalog cache.
  const sku = `SKU-${1_000_000_000 + Math.floor(Math.random() * 999_999_999)}`;
  const created = expectStatus(
    await call(`${base}/products`, { method: 'POST', json: { sku, name: 'Trace tour product', priceCents: 1_999, categoryId: 1, tags: [tag] } }),
    201,
    'POST /products',
  ).body;
  await call(`${base}/products/${created.id}`);
  const again = await call(`${base}/products/${created.id}`);
  report.nearHit = again.headers.get('x-near-cache') ?? cacheOf(again);
  report.bloom = (await call(`${base}/products/${1_900_000_000 + Math.floor(Math.random() * 1e6)}`)).headers.get('x-bloom') ?? '';
  report.writeThrough = String(expectStatus(await call(`${base}/products/${created.id}`, { method: 'PATCH', json: { name: 'Trace tour product (renamed)' } }), 200, 'PATCH').status);
  report.tagInvalidation = String(expectStatus(await call(`${base}/tags/${tag}/invalidate`, { method: 'POST' }), 200, 'POST /tags/:tag/invalidate').body.removed);
  return sku;
}

async function inventoryTour(urls: TourUrls, sku: string, report: TourReport): Promise<void> {
  const base = urls.inventory;
  // A SKU inventory has never seen: the restock asks catalog-service (one trace, two services).
  report.catalogCall = String(expectStatus(await call(`${base}/stock/${sku}/restock`, { method: 'POST', json: { qty: 10 } }), 200, 'restock').status);
  const reserved = await call(`${base}/stock/${sku}/reserve`, { method: 'POST', json: { qty: 1, orderId: `tour-${stamp()}` } });
  report.reservation = String(expectStatus(reserved, 200, 'reserve').body.available);
  expectStatus(await call(`${base}/products/${sku}/views`, { method: 'POST' }), 202, 'POST /products/:sku/views');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const counters = (await call(`${base}/counters/${sku}`)).body;
    if (counters?.views?.persisted >= 1) break;
    if (Date.now() > deadline) throw new Error(`the write-behind flush did not persist the view of ${sku} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  report.writeBehindFlush = 'persisted';
}

/** Provokes each behaviour once; resolves with the response headers that show it happened. */
export async function runTraceTour(urls: TourUrls, options: TourOptions = {}): Promise<TourReport> {
  const report: TourReport = {};
  const log = options.log ?? ((line: string) => process.stderr.write(`[trace-tour] ${line}\n`));
  await userTour(urls, options, report);
  log(`user-service: ${JSON.stringify(report)}`);
  const sku = await catalogTour(urls, report);
  await inventoryTour(urls, sku, report);
  log(`done: ${JSON.stringify(report)}`);
  return report;
}

if (require.main === module) {
  runTraceTour({ user: 'http://127.0.0.1:3001', catalog: 'http://127.0.0.1:3002', inventory: 'http://127.0.0.1:3003' }).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`[trace-tour] ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
