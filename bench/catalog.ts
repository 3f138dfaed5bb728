// npm run bench -- catalog: product reads through the near cache vs Redis only vs Postgres only
// (and the cost of the Bloom filter check in front of Redis); PATCH latency of write-through vs
// cache-aside invalidation; the near cache's staleness window across two instances.
// See docs/benchmarks.md and docs/patterns/{near-cache,read-through,write-through}.md.
import { performance } from 'node:perf_hooks';
import { databaseUrl, ensureInfra, serviceEnv } from '../infra/native';
import { statePath } from '../infra/native/paths';
import { mapLimit } from '../infra/native/wait';
import { startService, type ChildServer } from './lib/child-server';
import { cycle, runLoad, type LoadFigures } from './lib/load';
import { progress } from './lib/progress';
import { scrape, total } from './lib/prometheus';
import { measureInterleaved, ratio, summarizeRounds, type Variant } from './lib/rounds';
import { countIds, runServiceScript } from './lib/service-data';
import { benchSettings, type BenchSettings } from './lib/settings';
import type { BenchPart, BenchResult, RoundFigures } from './lib/types';

/** Products the seed creates (services/catalog/scripts/seed.ts), ids 1..5000. */
const SEED_PRODUCTS = 5000;
/** Longer than any run: no entry expires mid-round and turns a hit round into misses. */
const TTL_MS = 3_600_000;
/** Staleness samples: write on one instance, poll the other until it serves the new version. */
const STALENESS_SAMPLES = 200;

type ServerKind = 'near' | 'redis' | 'redis-bloom' | 'postgres' | 'invalidate' | 'peer';

const LABELS: Record<ServerKind, string> = {
  near: 'GET /products/:id, near cache hit (no network)',
  redis: 'GET /products/:id, Redis hit (near cache and Bloom filter off)',
  'redis-bloom': 'GET /products/:id, Bloom check + Redis hit (near cache off)',
  postgres: 'GET /products/:id, Postgres only (CACHE_ENABLED=false)',
  invalidate: 'PATCH /products/:id, cache-aside invalidation',
  peer: 'second instance for the staleness window',
};

const workDir = (...parts: string[]) => statePath('bench', 'catalog', ...parts);

/** The native stack's environment for the catalog service, with the bench's changes. */
function childEnv(kind: ServerKind, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...serviceEnv('catalog', { PORT: String(port), OTEL_EXPORTER_OTLP_ENDPOINT: undefined }),
    CACHELAB_STATE_DIR: workDir(kind),
    // Tracing off everywhere: this part compares cache tiers, not telemetry (see the user part).
    CACHELAB_TELEMETRY: 'off',
    LOG_LEVEL: 'warn',
    PRODUCT_TTL_MS: String(TTL_MS),
    NEAR_CACHE_TTL_MS: String(TTL_MS),
    NEAR_CACHE_MAX_ENTRIES: '100000',
    RATE_LIMIT_WRITES: '1000000',
    // A keyspace per server: the stack, the tests and the other variants never touch its entries.
    // The staleness pair shares one, as two instances of one deployment do.
    CACHE_KEY_PREFIX: `bench.${kind === 'peer' ? 'near' : kind}.`,
  };
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (kind === 'redis') Object.assign(env, { NEAR_CACHE_ENABLED: 'false', BLOOM_ENABLED: 'false' });
  if (kind === 'redis-bloom') env.NEAR_CACHE_ENABLED = 'false';
  if (kind === 'postgres') env.CACHE_ENABLED = 'false';
  if (kind === 'invalidate') env.WRITE_MODE = 'invalidate';
  return env;
}

const startKind = (kind: ServerKind): Promise<ChildServer> => startService('catalog', kind, (port) => childEnv(kind, port), workDir);

/** Migrated, and seeded when products 1..count are not all there. */
async function ensureProducts(count: number): Promise<void> {
  const url = databaseUrl('cachelab_catalog');
  await runServiceScript('catalog', 'migrate.ts', { DATABASE_URL: url });
  const present = await countIds(url, 'Product', count);
  if (present === count) return;
  progress(`seeding cachelab_catalog (${present} of products 1..${count} present)`);
  await runServiceScript('catalog', 'seed.ts', { DATABASE_URL: url, PRODUCTS: String(Math.max(SEED_PRODUCTS, count)) });
}

async function get(origin: string, path: string): Promise<{ status: number; cache: string | null; near: string | null; body: { version?: number } }> {
  const response = await fetch(`${origin}${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { version?: number };
  return { status: response.status, cache: response.headers.get('x-cache'), near: response.headers.get('x-near-cache'), body };
}

/** Every id read twice through the server: the first fills Redis (and the near cache), the second proves it. */
async function warm(server: ChildServer, ids: readonly number[]): Promise<void> {
  await mapLimit(ids, 16, async (id) => {
    for (let i = 0; i < 2; i++) {
      const reply = await get(server.origin, `/products/${id}`);
      if (reply.status !== 200) throw new Error(`warm-up: GET /products/${id} on ${server.name} answered ${reply.status}`);
    }
  });
}

/** Share of reads answered from the tier under test during the measured window, and database queries per read. */
function readChecks(server: ChildServer, kind: ServerKind): Variant['observe'] {
  return async () => {
    const before = await scrape(server.origin);
    return async (figures) => {
      const after = await scrape(server.origin);
      const delta = (name: string, labels: Record<string, string>) => total(after, name, labels) - total(before, name, labels);
      const reads = Math.max(1, figures.requests);
      const queries = delta('cachelab_origin_queries_total', { operation: 'product.find' });
      const tier =
        kind === 'near'
          ? delta('cachelab_cache_requests_total', { pattern: 'near-cache', result: 'hit' })
          : kind === 'postgres'
            ? queries
            : delta('cachelab_cache_requests_total', { pattern: 'read-through', result: 'hit' });
      return { answeredByTier: tier / reads, dbQueriesPerRequest: queries / reads };
    };
  };
}

/** Closed-loop PATCH /products/:id { priceCents } over `ids`, one connection per in-flight write. */
function patchLoad(origin: string, ids: readonly number[], connections: number, durationSec: number): Promise<LoadFigures> {
  let price = 0;
  const nextBody = () => JSON.stringify({ priceCents: 100 + (price++ % 50_000) });
  return runLoad({ origin, nextPath: cycle(ids, '/products/'), nextBody, method: 'PATCH', connections, durationSec });
}

/** The first read of a just-written product: a hit with write-through, a miss after an invalidation. */
async function readAfterWriteHitRatio(server: ChildServer, ids: readonly number[]): Promise<number> {
  const sample = ids.slice(0, 200);
  const replies = await mapLimit(sample, 16, (id) => get(server.origin, `/products/${id}`));
  return replies.filter((reply) => reply.cache === 'hit').length / Math.max(1, replies.length);
}

/** Write-through vs invalidation, interleaved over the rounds like the read variants. */
async function measureWrites(servers: { id: string; label: string; server: ChildServer }[], ids: readonly number[], settings: BenchSettings): Promise<BenchResult[]> {
  const rounds = new Map<string, RoundFigures[]>(servers.map((s) => [s.id, []]));
  for (let r = 0; r < settings.BENCH_ROUNDS; r++) {
    for (const { id, server } of r % 2 === 0 ? servers : [...servers].reverse()) {
      if (settings.BENCH_WARMUP > 0) await patchLoad(server.origin, ids, settings.BENCH_CONNECTIONS, settings.BENCH_WARMUP);
      const cpuBefore = server.cpuSeconds();
      const figures = await patchLoad(server.origin, ids, settings.BENCH_CONNECTIONS, settings.BENCH_DURATION);
      const cpuSeconds = server.cpuSeconds() - cpuBefore;
      const checks = { readAfterWriteHitRatio: await readAfterWriteHitRatio(server, ids) };
      rounds.get(id)!.push({
        rps: figures.rps,
        p50Ms: figures.p50Ms,
        p99Ms: figures.p99Ms,
        requests: figures.requests,
        failed: figures.failed,
        serverCpuCores: cpuSeconds / figures.durationSec,
        cpuUsPerRequest: (1e6 * cpuSeconds) / Math.max(1, figures.requests),
        checks,
      });
      progress(`${id.padEnd(14)} ${figures.rps.toFixed(0).padStart(6)} writes/s  p50 ${figures.p50Ms.toFixed(2)} ms  p99 ${figures.p99Ms.toFixed(2)} ms  read-after-write hit ratio ${checks.readAfterWriteHitRatio.toFixed(2)}`);
    }
  }
  return servers.map(({ id, label }) => summarizeRounds(id, label, rounds.get(id)!));
}

/**
 * The near cache's staleness window: a product held in memory by instance B is updated through
 * instance A; from A's acknowledgement, B is read in a loop until it serves the new version.
 */
async function measureStaleness(a: ChildServer, b: ChildServer, ids: readonly number[]): Promise<BenchResult> {
  const windowsMs: number[] = [];
  let polls = 0;
  for (let i = 0; i < STALENESS_SAMPLES; i++) {
    const id = ids[i % ids.length]!;
    await get(b.origin, `/products/${id}`);
    const held = await get(b.origin, `/products/${id}`);
    if (held.near !== 'hit') throw new Error(`staleness: instance B did not hold product ${id} in memory (x-near-cache ${held.near})`);
    const response = await fetch(`${a.origin}/products/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ priceCents: 1 + i }),
      signal: AbortSignal.timeout(10_000),
    });
    const written = (await response.json()) as { version: number };
    if (response.status !== 200) throw new Error(`staleness: PATCH /products/${id} answered ${response.status}`);
    const acknowledged = performance.now();
    for (;;) {
      polls += 1;
      if (((await get(b.origin, `/products/${id}`)).body.version ?? 0) >= written.version) break;
      if (performance.now() - acknowledged > 10_000) throw new Error(`staleness: B still served the old version of ${id} after 10 s`);
    }
    windowsMs.push(performance.now() - acknowledged);
  }
  const sorted = [...windowsMs].sort((x, y) => x - y);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  const round: RoundFigures = { rps: Number.NaN, p50Ms: at(50), p99Ms: at(99), requests: polls, failed: 0, checks: { maxMs: sorted.at(-1)!, staleReadsPerWrite: (polls - windowsMs.length) / windowsMs.length } };
  return {
    id: 'staleness',
    label: `near-cache staleness window after an acknowledged write, ms (${STALENESS_SAMPLES} writes; p50/p99 columns)`,
    rps: Number.NaN,
    p50Ms: round.p50Ms,
    p99Ms: round.p99Ms,
    failedRequests: 0,
    rounds: [round],
    ratios: [],
  };
}

async function run(): Promise<BenchResult[]> {
  const settings = benchSettings();
  progress('native infrastructure (Redis Cluster, Sentinel group, Postgres)');
  await ensureInfra({ log: progress });
  await ensureProducts(Math.min(settings.BENCH_IDS, SEED_PRODUCTS));
  const ids = Array.from({ length: Math.min(settings.BENCH_IDS, SEED_PRODUCTS) }, (_, i) => i + 1);

  const kinds: ServerKind[] = ['near', 'redis', 'redis-bloom', 'postgres', 'invalidate', 'peer'];
  const servers = new Map<ServerKind, ChildServer>();
  try {
    progress(`starting ${kinds.join(', ')} (REDIS_MODE=${childEnv('near', 0).REDIS_MODE})`);
    for (const kind of kinds) servers.set(kind, await startKind(kind));
    const server = (kind: ServerKind) => servers.get(kind)!;

    const readKinds: ServerKind[] = ['near', 'redis', 'redis-bloom', 'postgres'];
    const reads: Variant[] = readKinds.map((kind) => ({
      id: kind,
      label: LABELS[kind],
      server: server(kind),
      nextPath: cycle(ids, '/products/'),
      ...(kind === 'postgres' ? {} : { prepare: () => warm(server(kind), ids) }),
      observe: readChecks(server(kind), kind),
    }));
    progress(`reads: ${settings.BENCH_ROUNDS} rounds x ${reads.length} variants, ${settings.BENCH_WARMUP} s warm-up + ${settings.BENCH_DURATION} s, ${settings.BENCH_CONNECTIONS} connections, ${ids.length} ids`);
    const readResults = await measureInterleaved(reads, settings);

    progress('writes: write-through vs cache-aside invalidation');
    const writeResults = await measureWrites(
      [
        { id: 'write-through', label: 'PATCH /products/:id, write-through (the default)', server: server('near') },
        { id: 'invalidate', label: LABELS.invalidate, server: server('invalidate') },
      ],
      ids,
      settings,
    );

    progress(`staleness: ${STALENESS_SAMPLES} writes on one instance, reads on the other`);
    const staleness = await measureStaleness(server('peer'), server('near'), ids);

    const results = [...readResults, ...writeResults, staleness];
    addRatios(results);
    return results;
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
}

function addRatios(results: BenchResult[]): void {
  const byId = new Map(results.map((r) => [r.id, r]));
  const r = (id: string) => byId.get(id)!;
  r('near').ratios.push(
    ratio(r('near'), r('redis'), 'rps', 'near cache / Redis only'),
    ratio(r('near'), r('postgres'), 'rps', 'near cache / Postgres only'),
    ratio(r('near'), r('redis'), 'p99', 'near cache / Redis only'),
    ratio(r('near'), r('redis'), 'cpu', 'near cache / Redis only'),
  );
  r('redis').ratios.push(ratio(r('redis'), r('postgres'), 'rps', 'Redis only / Postgres only'), ratio(r('redis'), r('postgres'), 'p99', 'Redis only / Postgres only'));
  r('redis-bloom').ratios.push(ratio(r('redis-bloom'), r('redis'), 'rps', 'Bloom check + Redis / Redis only'));
  r('write-through').ratios.push(
    ratio(r('write-through'), r('invalidate'), 'rps', 'write-through / invalidation'),
    ratio(r('write-through'), r('invalidate'), 'p99', 'write-through / invalidation'),
  );
}

export const part: BenchPart = {
  name: 'catalog',
  description: 'product reads through the near cache vs Redis only vs Postgres only; PATCH latency of write-through vs invalidation; near-cache staleness window',
  run,
};
