// npm run bench -- inventory-stock: reservations per second on ONE hot SKU under contention, the
// Lua script against WATCH/MULTI/EXEC optimistic retries (and the naive GET-check-SET, which is
// fast because it is wrong). Measured twice: through inventory-service's /lab/reserve route (what
// a client sees), and at the Redis client (the primitive alone). See docs/patterns/lua-atomic.md.
import * as fs from 'node:fs';
import { createHistogram, performance } from 'node:perf_hooks';
import { redisConfigFromEnv } from '@cachelab/config';
import { LabStrategies, type Strategy } from '@cachelab/inventory-service';
import { closeRedis, createRedis, waitForReady } from '@cachelab/redis';
import { ensureInfra, serviceEnv } from '../infra/native';
import { statePath } from '../infra/native/paths';
import { serviceDir } from '../infra/native/services';
import { freePort, startServer, type ChildServer } from './lib/child-server';
import { runLoad, type LoadFigures } from './lib/load';
import { progress } from './lib/progress';
import { ratio, summarizeRounds } from './lib/rounds';
import { benchSettings, type BenchSettings } from './lib/settings';
import type { BenchPart, BenchResult, RoundFigures } from './lib/types';

/** The issue's target: Lua at least 3x the throughput of WATCH on one hot SKU. */
const LUA_OVER_WATCH_TARGET = 3;
/** Far above the seeded SKU-1..SKU-5000 and the tests' SKUs' range start; lab keys only. */
const HOT_SKU = 'SKU-999999001';
/** Never runs out during a round, so every request is a contended success, not a refusal. */
const STOCK = 1_000_000_000;
/** The service's default pool of dedicated WATCH connections (LAB_WATCH_CONNECTIONS). */
const WATCH_CONNECTIONS = 16;

const workDir = (...parts: string[]) => statePath('bench', 'inventory-stock', ...parts);

/** What a round needs of a load's figures, over HTTP (runLoad) or in this process (clientLoad). */
type Figures = Pick<LoadFigures, 'succeeded' | 'failed' | 'durationSec' | 'p50Ms' | 'p99Ms'>;

/** Closed-loop POST { qty: 1 } load on one path of `origin`. */
const postLoad = (origin: string, path: string, connections: number, durationSec: number): Promise<LoadFigures> =>
  runLoad({ origin, nextPath: () => path, nextBody: () => '{"qty":1}', method: 'POST', connections, durationSec });

/** `connections` concurrent callers of one strategy in this process, each starting its next reservation when the last one answers. */
async function clientLoad(lab: LabStrategies, strategy: Strategy, connections: number, durationSec: number): Promise<Figures & { attempts: number }> {
  const latencyUs = createHistogram();
  let succeeded = 0;
  let failed = 0;
  let attempts = 0;
  const started = performance.now();
  const until = started + durationSec * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        const outcome = await lab.reserve(strategy, HOT_SKU, 1).catch(() => undefined);
        if (outcome?.outcome === 'reserved') {
          succeeded += 1;
          attempts += outcome.attempts;
          latencyUs.record(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        } else failed += 1;
      }
    }),
  );
  return {
    succeeded,
    failed,
    attempts,
    durationSec: (performance.now() - started) / 1000,
    p50Ms: latencyUs.percentile(50) / 1000,
    p99Ms: latencyUs.percentile(99) / 1000,
  };
}

interface Variant {
  id: string;
  label: string;
  /** Runs one measured window (after its warm-up) and returns its figures and checks. */
  measure(settings: BenchSettings): Promise<RoundFigures>;
}

function httpVariant(server: ChildServer, lab: LabStrategies, strategy: Strategy, label: string): Variant {
  const path = `/lab/reserve/${HOT_SKU}?strategy=${strategy}`;
  return {
    id: `http-${strategy}`,
    label,
    async measure(settings) {
      await lab.setStock(HOT_SKU, STOCK);
      if (settings.BENCH_WARMUP > 0) await postLoad(server.origin, path, settings.BENCH_CONNECTIONS, settings.BENCH_WARMUP);
      const before = (await lab.stock(HOT_SKU)).available!;
      const cpuBefore = server.cpuSeconds();
      const figures = await postLoad(server.origin, path, settings.BENCH_CONNECTIONS, settings.BENCH_DURATION);
      const cpuSeconds = server.cpuSeconds() - cpuBefore;
      const taken = before - (await lab.stock(HOT_SKU)).available!;
      return round(figures, { unitsTakenPerSuccess: taken / Math.max(1, figures.succeeded) }, cpuSeconds);
    },
  };
}

function clientVariant(lab: LabStrategies, strategy: Strategy, label: string): Variant {
  return {
    id: `redis-${strategy}`,
    label,
    async measure(settings) {
      await lab.setStock(HOT_SKU, STOCK);
      if (settings.BENCH_WARMUP > 0) await clientLoad(lab, strategy, settings.BENCH_CONNECTIONS, settings.BENCH_WARMUP);
      const before = (await lab.stock(HOT_SKU)).available!;
      const figures = await clientLoad(lab, strategy, settings.BENCH_CONNECTIONS, settings.BENCH_DURATION);
      const taken = before - (await lab.stock(HOT_SKU)).available!;
      return round(figures, { unitsTakenPerSuccess: taken / Math.max(1, figures.succeeded), attemptsPerSuccess: figures.attempts / Math.max(1, figures.succeeded) });
    },
  };
}

function round(figures: Figures, checks: Record<string, number>, cpuSeconds?: number): RoundFigures {
  const rps = figures.succeeded / figures.durationSec;
  const requests = figures.succeeded + figures.failed;
  const cpu = cpuSeconds === undefined ? {} : { serverCpuCores: cpuSeconds / figures.durationSec, cpuUsPerRequest: (1e6 * cpuSeconds) / Math.max(1, requests) };
  const fmt = (v: number, d = 0) => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  progress(`  ${fmt(rps).padStart(7)} reservations/s  p50 ${fmt(figures.p50Ms, 2)} ms  p99 ${fmt(figures.p99Ms, 2)} ms${Object.entries(checks).map(([k, v]) => `  ${k} ${fmt(v, 3)}`).join('')}`);
  return { rps, p50Ms: figures.p50Ms, p99Ms: figures.p99Ms, requests, failed: figures.failed, ...cpu, checks };
}

async function run(): Promise<BenchResult[]> {
  const settings = benchSettings();
  progress('native infrastructure (Redis Cluster, Sentinel group, Postgres)');
  await ensureInfra({ log: progress });
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...serviceEnv('inventory', { PORT: String(port), OTEL_EXPORTER_OTLP_ENDPOINT: undefined }),
    CACHELAB_STATE_DIR: workDir('state'),
    // The comparison is about the Redis strategy: no span export, no stock loading at start.
    CACHELAB_TELEMETRY: 'off',
    LOAD_STOCK_ON_START: 'false',
    LAB_WATCH_CONNECTIONS: String(WATCH_CONNECTIONS),
    LAB_WATCH_MAX_ATTEMPTS: '100000',
    LOG_LEVEL: 'warn',
  };
  fs.rmSync(workDir(), { recursive: true, force: true });
  const redis = createRedis(redisConfigFromEnv(env), { purpose: 'cache', connectionName: 'bench-inventory-stock', commandTimeoutMs: 10_000 });
  redis.on('error', () => undefined);
  const lab = new LabStrategies(redis, { watchConnections: WATCH_CONNECTIONS, watchMaxAttempts: 100_000 });
  let server: ChildServer | undefined;
  try {
    progress(`starting inventory-service (REDIS_MODE=${env.REDIS_MODE})`);
    server = await startServer({ name: 'inventory', entry: 'src/main.ts', cwd: serviceDir('inventory'), env, port, readyPath: '/readyz', logFile: workDir('logs', 'inventory.log') });
    await waitForReady(redis);
    const variants: Variant[] = [
      httpVariant(server, lab, 'lua', 'POST /lab/reserve?strategy=lua (reserve-3.lua)'),
      httpVariant(server, lab, 'watch', `POST /lab/reserve?strategy=watch (WATCH/MULTI/EXEC, ${WATCH_CONNECTIONS} connections)`),
      httpVariant(server, lab, 'naive', 'POST /lab/reserve?strategy=naive (GET, check, SET: oversells)'),
      clientVariant(lab, 'lua', 'Redis client, reserve-3.lua'),
      clientVariant(lab, 'watch', `Redis client, WATCH/MULTI/EXEC (${WATCH_CONNECTIONS} connections)`),
    ];
    progress(
      `${settings.BENCH_ROUNDS} rounds x ${variants.length} variants, each ${settings.BENCH_WARMUP} s warm-up + ${settings.BENCH_DURATION} s measured, ${settings.BENCH_CONNECTIONS} concurrent buyers of ${HOT_SKU}`,
    );
    const rounds = new Map<string, RoundFigures[]>(variants.map((v) => [v.id, []]));
    for (let r = 0; r < settings.BENCH_ROUNDS; r++) {
      progress(`round ${r + 1}/${settings.BENCH_ROUNDS}`);
      for (let i = 0; i < variants.length; i++) {
        const variant = variants[(i + r) % variants.length]!;
        progress(` ${variant.id}`);
        rounds.get(variant.id)!.push(await variant.measure(settings));
      }
    }
    const results: BenchResult[] = variants.map((variant) => {
      const figures = rounds.get(variant.id)!;
      // Naive "failures" do not exist: its oversell shows in unitsTakenPerSuccess below 1.
      return summarizeRounds(variant.id, variant.label, figures);
    });
    const byId = new Map(results.map((r) => [r.id, r]));
    byId.get('http-lua')!.ratios.push(
      ratio(byId.get('http-lua')!, byId.get('http-watch')!, 'rps', 'lua / watch through HTTP, one hot SKU', LUA_OVER_WATCH_TARGET),
      ratio(byId.get('http-lua')!, byId.get('http-watch')!, 'p99', 'lua / watch through HTTP'),
      ratio(byId.get('http-lua')!, byId.get('http-watch')!, 'cpu', 'lua / watch through HTTP'),
      ratio(byId.get('http-lua')!, byId.get('http-naive')!, 'rps', 'lua / naive (the price of being correct)'),
    );
    byId.get('redis-lua')!.ratios.push(
      ratio(byId.get('redis-lua')!, byId.get('redis-watch')!, 'rps', 'lua / watch at the Redis client, one hot SKU', LUA_OVER_WATCH_TARGET),
    );
    return results;
  } finally {
    await server?.stop();
    await lab.clear(HOT_SKU).catch(() => undefined); // hundreds of thousands of lab reservations
    await lab.close();
    await closeRedis(redis);
    redis.disconnect();
  }
}

export const part: BenchPart = {
  name: 'inventory-stock',
  description: 'reservations/s on one hot SKU: reserve-3.lua vs WATCH/MULTI/EXEC retries (and the naive GET-check-SET), through HTTP and at the Redis client',
  run,
};
