// npm run bench -- inventory-write-behind: view counting, POST /products/:sku/views, written
// behind (counted in Redis, flushed to Postgres in batches by the BullMQ worker) against written
// through (the same service with WRITE_BEHIND_ENABLED=false: one upsert per view), measured in
// the same run.
// Figures: acknowledged increments per second, and increments per database statement; after
// every round the bench waits for the flush to drain and checks that Postgres received exactly
// the increments that were acknowledged. See docs/patterns/write-behind.md.
import { WriteBehindCounter } from '@cachelab/cache';
import { redisConfigFromEnv } from '@cachelab/config';
import { ensureDatabase } from '@cachelab/db';
import { loadWriteBehindConfig } from '@cachelab/inventory-service/src/write-behind/config';
import { writeBehindRedisConfig } from '@cachelab/inventory-service/src/write-behind/redis-target';
import { closeRedis, createRedis, waitForReady, type RedisClient } from '@cachelab/redis';
import { databaseUrl, ensureInfra, serviceEnv } from '../infra/native';
import { statePath } from '../infra/native/paths';
import { waitFor } from '../infra/native/wait';
import { startService, type ChildServer } from './lib/child-server';
import { runLoad, type LoadFigures } from './lib/load';
import { progress } from './lib/progress';
import { scrape, total } from './lib/prometheus';
import { median, ratio, summarizeRounds } from './lib/rounds';
import { runServiceScript } from './lib/service-data';
import { benchSettings, type BenchSettings } from './lib/settings';
import type { BenchPart, BenchResult, RoundFigures } from './lib/types';

/** A database of its own: the bench adds millions of views, which no other run should see. */
const DATABASE = 'cachelab_inventory_bench';
const workDir = (...parts: string[]) => statePath('bench', 'inventory-write-behind', ...parts);

type Kind = 'write-through' | 'write-behind' | 'write-behind-traced';

// The comparison is about where the write goes, so both sides run without tracing (spans cost
// more than either write); the traced variant shows what the trace links add on top.
const LABELS: Record<Kind, string> = {
  'write-through': 'inventory-service, WRITE_BEHIND_ENABLED=false: one Postgres upsert per view',
  'write-behind': 'inventory-service, written behind: Redis now, BullMQ flush in batches',
  'write-behind-traced': 'the same, tracing on (spans to the JSON-lines file, links per batch)',
};

const RECORDED = 'cachelab_write_behind_recorded_total';
const PERSISTED = 'cachelab_write_behind_persisted_total';
const STATEMENTS = 'cachelab_origin_queries_total';

/** Closed-loop POST load over the SKUs. */
const viewLoad = (origin: string, nextPath: () => string, connections: number, durationSec: number): Promise<LoadFigures> =>
  runLoad({ origin, nextPath, method: 'POST', connections, durationSec });

/** SKU-1..SKU-n in a fixed order, endlessly: every SKU viewed equally often. */
function skuCycle(count: number): () => string {
  let next = 0;
  return () => {
    next = (next % count) + 1;
    return `/products/SKU-${next}/views`;
  };
}

function childEnv(kind: Kind, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...serviceEnv('inventory', { PORT: String(port), DATABASE_URL: databaseUrl(DATABASE), OTEL_EXPORTER_OTLP_ENDPOINT: undefined }),
    CACHELAB_STATE_DIR: workDir(kind),
    LOG_LEVEL: 'warn',
    LOAD_STOCK_ON_START: 'false',
    // Each server its own keys and queue, so that each one's flush is measured alone.
    WRITE_BEHIND_NAMESPACE: `bench-${kind}`,
  };
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete env.CACHELAB_TELEMETRY;
  if (kind !== 'write-behind-traced') env.CACHELAB_TELEMETRY = 'off';
  if (kind === 'write-through') env.WRITE_BEHIND_ENABLED = 'false';
  return env;
}

const startKind = (kind: Kind): Promise<ChildServer> => startService('inventory', kind, (port) => childEnv(kind, port), workDir);

/** The write-behind keys of one server, read directly: is anything still waiting for a flush? */
class Backlog {
  private constructor(
    private readonly redis: RedisClient,
    private readonly engine: WriteBehindCounter,
    readonly where: string,
  ) {}

  static async open(kind: Kind): Promise<Backlog> {
    const env = childEnv(kind, 0) as Record<string, string | undefined>;
    const config = loadWriteBehindConfig(env, databaseUrl(DATABASE));
    const target = writeBehindRedisConfig(config.WRITE_BEHIND_REDIS_MODE, redisConfigFromEnv(env), env);
    const redis = createRedis(target, { purpose: 'queue', connectionName: `bench-${kind}-backlog` });
    redis.on('error', () => undefined);
    await waitForReady(redis);
    const engine = new WriteBehindCounter(redis, { namespace: config.namespace, shards: config.WRITE_BEHIND_SHARDS });
    return new Backlog(redis, engine, `${target.mode}, ${config.WRITE_BEHIND_SHARDS} shards, flush every ${config.WRITE_BEHIND_FLUSH_EVERY_MS} ms`);
  }

  async drained(): Promise<void> {
    await waitFor('the write-behind backlog to drain', async () => {
      const backlog = await this.engine.backlog();
      return backlog.pendingFields === 0 && backlog.openBatches === 0;
    }, { timeoutMs: 60_000, intervalMs: 100 });
  }

  close(): Promise<void> {
    return closeRedis(this.redis);
  }
}

interface Variant {
  kind: Kind;
  server: ChildServer;
  backlog?: Backlog;
}

const fmt = (v: number, d = 0) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/**
 * One measured window. For write-behind, the backlog is drained before it (the warm-up's views
 * are not charged to it) and after it (its own views are all in Postgres), so the deltas of the
 * service's counters compare exactly what was acknowledged with what was persisted.
 */
async function measure(variant: Variant, settings: BenchSettings, nextPath: () => string): Promise<RoundFigures> {
  const { server, backlog } = variant;
  if (settings.BENCH_WARMUP > 0) await viewLoad(server.origin, nextPath, settings.BENCH_CONNECTIONS, settings.BENCH_WARMUP);
  await backlog?.drained();
  const before = await scrape(server.origin);
  const cpuBefore = server.cpuSeconds();
  const figures = await viewLoad(server.origin, nextPath, settings.BENCH_CONNECTIONS, settings.BENCH_DURATION);
  const cpuSeconds = server.cpuSeconds() - cpuBefore;
  await backlog?.drained();
  const after = await scrape(server.origin);
  const delta = (name: string, labels: Record<string, string>) => total(after, name, labels) - total(before, name, labels);

  let checks: Record<string, number>;
  if (backlog) {
    // `recorded` counts every 202 the service sent, including those of the requests still in
    // flight when the load generator stopped (it does not count their answers).
    const recorded = delta(RECORDED, { counter: 'views', store: 'redis' });
    const persisted = delta(PERSISTED, { counter: 'views' });
    const statements = delta(STATEMENTS, { operation: 'counters.apply' });
    checks = { incrementsPerStatement: persisted / Math.max(1, statements), persistedMinusAcknowledged: persisted - recorded };
  } else {
    const recorded = delta(RECORDED, { counter: 'views', store: 'database' });
    checks = { incrementsPerStatement: recorded / Math.max(1, delta(STATEMENTS, { operation: 'counters.write_through' })) };
  }
  const { rps, requests } = figures;
  const failed = figures.failed > 0 ? `  FAILED ${figures.failed} (${JSON.stringify(figures.statusCodes)})` : '';
  progress(
    `${variant.kind.padEnd(22)} ${fmt(rps).padStart(7)} acknowledged views/s  p50 ${fmt(figures.p50Ms, 2)} ms  p99 ${fmt(figures.p99Ms, 2)} ms${Object.entries(checks)
      .map(([k, v]) => `  ${k} ${fmt(v, 1)}`)
      .join('')}${failed}`,
  );
  return {
    rps,
    p50Ms: figures.p50Ms,
    p99Ms: figures.p99Ms,
    requests,
    failed: figures.failed,
    serverCpuCores: cpuSeconds / figures.durationSec,
    cpuUsPerRequest: (1e6 * cpuSeconds) / Math.max(1, requests),
    checks,
  };
}

/** Migrated, with SKU-1..SKU-count in Stock (the service answers 404 to views of other SKUs). */
async function prepareDatabase(count: number): Promise<void> {
  const url = databaseUrl(DATABASE);
  await ensureDatabase(url);
  await runServiceScript('inventory', 'migrate.ts', { DATABASE_URL: url });
  await runServiceScript('inventory', 'seed.ts', { DATABASE_URL: url, SKUS: String(count), STOCK_PER_SKU: '1000' });
}

async function run(): Promise<BenchResult[]> {
  const settings = benchSettings();
  progress('native infrastructure (Redis Cluster, Sentinel group, Postgres)');
  await ensureInfra({ log: progress });
  await prepareDatabase(settings.BENCH_IDS);

  const kinds: Kind[] = ['write-through', 'write-behind', 'write-behind-traced'];
  const variants: Variant[] = [];
  try {
    for (const kind of kinds) {
      progress(`starting ${kind}`);
      const server = await startKind(kind);
      variants.push(kind === 'write-through' ? { kind, server } : { kind, server, backlog: await Backlog.open(kind) });
    }
    const where = variants.find((v) => v.backlog)?.backlog?.where ?? '';
    progress(
      `${settings.BENCH_ROUNDS} rounds x ${kinds.length} variants, each ${settings.BENCH_WARMUP} s warm-up + ${settings.BENCH_DURATION} s measured, ${settings.BENCH_CONNECTIONS} connections, views spread over ${settings.BENCH_IDS} SKUs; write-behind on ${where}`,
    );
    const rounds = new Map<Kind, RoundFigures[]>(kinds.map((kind) => [kind, []]));
    for (let r = 0; r < settings.BENCH_ROUNDS; r++) {
      progress(`round ${r + 1}/${settings.BENCH_ROUNDS}`);
      for (let i = 0; i < variants.length; i++) {
        const variant = variants[(i + r) % variants.length]!;
        rounds.get(variant.kind)!.push(await measure(variant, settings, skuCycle(settings.BENCH_IDS)));
      }
    }
    const results: BenchResult[] = kinds.map((kind) => {
      const figures = rounds.get(kind)!;
      const perStatement = median(figures.map((f) => f.checks?.incrementsPerStatement ?? Number.NaN));
      const mismatch = figures.reduce((sum, f) => sum + Math.abs(f.checks?.persistedMinusAcknowledged ?? 0), 0);
      return {
        ...summarizeRounds(kind, LABELS[kind], figures),
        notes: {
          incrementsPerStatement: Number(perStatement.toFixed(1)),
          ...(kind === 'write-through' ? {} : { acknowledgedButNotPersisted: mismatch }),
        },
      };
    });
    const byId = new Map(results.map((r) => [r.id, r]));
    const through = byId.get('write-through')!;
    for (const id of ['write-behind', 'write-behind-traced']) {
      const result = byId.get(id)!;
      result.ratios.push(
        ratio(result, through, 'rps', `acknowledged views/s, ${id} / write-through`),
        ratio(result, through, 'p99', `p99, ${id} / write-through`),
        ratio(result, through, 'cpu', `service CPU per view, ${id} / write-through`),
      );
      if (Number(result.notes?.acknowledgedButNotPersisted) !== 0) {
        throw new Error(`${id}: Postgres totals differ from the acknowledged views by ${result.notes?.acknowledgedButNotPersisted}`);
      }
    }
    return results;
  } finally {
    await Promise.all(variants.map(async (v) => {
      await v.server.stop();
      await v.backlog?.close();
    }));
  }
}

export const part: BenchPart = {
  name: 'inventory-write-behind',
  description: 'views counted in Redis and flushed in batches vs one Postgres upsert per view',
  run,
};
