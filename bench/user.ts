// npm run bench -- user: GET /users/:id on cache hits, against a bare Express + ioredis server
// measured in the same run, and with the cache turned off. See docs/benchmarks.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { redisConfigFromEnv } from '@cachelab/config';
import { closeRedis, createRedis, waitForReady, type RedisClient } from '@cachelab/redis';
import { databaseUrl, ensureInfra, ensureZipkin, serviceEnv, stopZipkin, waitForHealthy, zipkinPid, zipkinRssMb, zipkinSpansUrl } from '../infra/native';
import { repoRoot, statePath } from '../infra/native/paths';
import { mapLimit } from '../infra/native/wait';
import { freePort, startServer, startService, type ChildServer } from './lib/child-server';
import { formatProfile, summarizeProfile } from './lib/cpu-profile';
import { cycle } from './lib/load';
import { progress } from './lib/progress';
import { unlinkByPrefix } from './lib/redis-keys';
import { scrape, total, type Sample } from './lib/prometheus';
import { measureInterleaved, median, ratio, type Variant } from './lib/rounds';
import { countIds, runServiceScript } from './lib/service-data';
import { benchSettings, type BenchSettings } from './lib/settings';
import { spanFileStats } from './lib/span-file';
import type { BenchPart, BenchResult } from './lib/types';

/** The hit path must keep at least this share of the bare baseline's throughput. */
const HIT_PATH_TARGET = 0.8;
/** Ids the seed creates by default (services/user/scripts/seed.ts). */
const SEED_USERS = 2000;
/** Longer than any run (less 10 % jitter), so that no entry expires mid-round and turns hits into misses. */
const ENTRY_TTL_MS = 6 * 3_600_000;
/**
 * A keyspace per run: the stack's service and test suites on the same Redis never see the
 * bench's entries, and entries of an earlier run, expiring one by one, never mix misses into a
 * hit round. Deleted at the end of the run (and gone with their TTL if the run is killed).
 */
const KEY_PREFIX = `bench.user-${Date.now().toString(36)}.`;
const BASELINE_PREFIX = `${KEY_PREFIX}baseline:`;

const CACHE_REQUESTS = 'cachelab_cache_requests_total';
const ORIGIN_QUERIES = 'cachelab_origin_queries_total';
const PROFILE = { pattern: 'cache-aside' };

type ServerKind = 'baseline' | 'baseline-traced' | 'hit' | 'hit-sampled' | 'hit-untraced' | 'hit-zipkin' | 'hit-zipkin-only' | 'cache-off';

const KINDS: ServerKind[] = ['baseline', 'baseline-traced', 'hit', 'hit-sampled', 'hit-untraced', 'hit-zipkin', 'hit-zipkin-only', 'cache-off'];
/** What each variant's ratios compare it with: measured too whenever the variant is (BENCH_VARIANTS). */
const COMPARED_WITH: Partial<Record<ServerKind, ServerKind[]>> = {
  hit: ['baseline', 'baseline-traced', 'hit-untraced', 'cache-off'],
  'hit-sampled': ['baseline'],
  'hit-untraced': ['baseline'],
  'hit-zipkin': ['hit'],
  'hit-zipkin-only': ['hit'],
  'baseline-traced': ['baseline'],
  'cache-off': ['baseline'],
};
const usesZipkin = (kind: ServerKind): boolean => kind === 'hit-zipkin' || kind === 'hit-zipkin-only';

/** The head-sampling rate of the `hit-sampled` variant: a common production setting. */
const SAMPLED_RATIO = 0.1;

const LABELS: Record<ServerKind, string> = {
  baseline: 'bare Express + ioredis GET',
  'baseline-traced': 'bare Express + ioredis GET, tracing on',
  hit: 'user-service, cache hit, tracing on',
  'hit-sampled': `user-service, cache hit, tracing on, ${SAMPLED_RATIO * 100} % of traces sampled`,
  'hit-untraced': 'user-service, cache hit, tracing off',
  'hit-zipkin': 'user-service, cache hit, spans to the span file and to Zipkin (what `stack up` runs)',
  'hit-zipkin-only': 'user-service, cache hit, spans to Zipkin only (CACHELAB_TRACE_FILE=off)',
  'cache-off': 'user-service, CACHE_ENABLED=false, tracing on',
};

const workDir = (...parts: string[]) => statePath('bench', 'user', ...parts);

/**
 * The Zipkin the Zipkin variants send to: one of the bench's own on a free port (started for the
 * run, stopped after it), so that the run's spans never push the stack's traces out of its store.
 */
let zipkinPort: number | undefined;

/** The native stack's environment for the user service, with the bench's changes. */
function childEnv(kind: ServerKind, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...serviceEnv('user', { PORT: String(port), OTEL_EXPORTER_OTLP_ENDPOINT: undefined }),
    // Each traced server writes its own span file, so that spans per request can be counted.
    CACHELAB_STATE_DIR: workDir(kind),
    // Whole span files, not rotated, so that spans per request can be counted (deleted after the run).
    CACHELAB_TRACE_FILE_MAX_MB: '0',
    PROFILE_TTL_MS: String(ENTRY_TTL_MS),
    BASELINE_KEY_PREFIX: BASELINE_PREFIX,
    CACHE_KEY_PREFIX: KEY_PREFIX,
  };
  // "Tracing on" is the configuration a developer runs: spans to the JSON-lines file.
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete env.CACHELAB_ZIPKIN_URL;
  delete env.CACHELAB_TRACE_FILE;
  delete env.CACHELAB_TELEMETRY;
  delete env.OTEL_TRACES_SAMPLER;
  delete env.OTEL_TRACES_SAMPLER_ARG;
  if (kind === 'hit-untraced') env.CACHELAB_TELEMETRY = 'off';
  if (kind === 'baseline-traced') env.BASELINE_TRACING = 'on';
  // The SDK's standard sampler variables: a new trace is kept with this probability, and a
  // request that arrives with a `traceparent` follows its caller's decision.
  if (kind === 'hit-sampled') Object.assign(env, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: String(SAMPLED_RATIO) });
  if (kind === 'cache-off') env.CACHE_ENABLED = 'false';
  if (usesZipkin(kind)) {
    if (zipkinPort === undefined) throw new Error('the bench Zipkin is not started');
    env.CACHELAB_ZIPKIN_URL = zipkinSpansUrl(zipkinPort);
  }
  if (kind === 'hit-zipkin-only') env.CACHELAB_TRACE_FILE = 'off';
  return env;
}

async function startKind(kind: ServerKind, settings: BenchSettings): Promise<ChildServer> {
  const profiling = settings.BENCH_CPU_PROF ? { cpuProfileDir: workDir('profiles') } : {};
  if (!kind.startsWith('baseline')) return startService('user', kind, (port) => childEnv(kind, port), workDir, profiling);
  const port = await freePort();
  fs.rmSync(workDir(kind), { recursive: true, force: true });
  return startServer({
    name: kind,
    entry: path.join(repoRoot, 'bench', 'baseline-server.ts'),
    cwd: repoRoot,
    env: childEnv(kind, port),
    port,
    readyPath: '/readyz',
    logFile: workDir('logs', `${kind}.log`),
    ...profiling,
  });
}

/** Migrated, and seeded when users 1..count are not all there (the seed is left alone otherwise). */
async function ensureUsers(count: number): Promise<void> {
  const url = databaseUrl('cachelab_user');
  await runServiceScript('user', 'migrate.ts', { DATABASE_URL: url });
  const present = await countIds(url, 'User', count);
  if (present === count) return;
  progress(`seeding cachelab_user (${present} of users 1..${count} present)`);
  await runServiceScript('user', 'seed.ts', { DATABASE_URL: url, USERS: String(Math.max(SEED_USERS, count)) });
}

/**
 * Every id read once through the service (a miss fills the cache, a hit leaves it), and the
 * answer stored under the baseline's key: both servers then hold the same bytes for each id.
 * Run before every round: a test suite sharing the cluster may flush it at any time.
 */
async function warm(service: ChildServer, redis: RedisClient, ids: readonly number[]): Promise<void> {
  await mapLimit(ids, 16, async (id) => {
    const response = await fetch(`${service.origin}/users/${id}`, { signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`warm-up: GET /users/${id} answered ${response.status} ${body.slice(0, 200)}`);
    await redis.set(`${BASELINE_PREFIX}{${id}}:profile`, body, 'PX', ENTRY_TTL_MS);
  });
}

/**
 * The infrastructure is shared with test suites that stop Redis nodes on purpose: when the warm-up
 * fails, wait for the stack to be whole again and try once more. (A failure inside a measured
 * window is not retried: it counts as failed requests, and the run as an error.)
 */
async function retryOnceHealthy(what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    progress(`${what} failed (${(error as Error).message}); waiting for the infrastructure to be healthy, then once more`);
    await waitForHealthy({ scope: 'infra', timeoutMs: 60_000 });
    await work();
  }
}

/** Reads /metrics before the measured window and returns what changed, per request, after it. */
function serviceChecks(server: ChildServer, kind: ServerKind): Variant['observe'] {
  return async () => {
    const before = await scrape(server.origin);
    return async (figures): Promise<Record<string, number>> => {
      const after = await scrape(server.origin);
      const delta = (name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);
      const queries = delta(ORIGIN_QUERIES, { operation: 'user.find' });
      if (kind === 'cache-off') return { dbQueriesPerRequest: queries / Math.max(1, figures.requests) };
      const reads = delta(CACHE_REQUESTS, PROFILE);
      const checks: Record<string, number> = {
        hitRatio: delta(CACHE_REQUESTS, { ...PROFILE, result: 'hit' }) / Math.max(1, reads),
        dbQueriesPerRequest: queries / Math.max(1, reads),
      };
      // Reads that were not hits, by result: `bypass` means Redis failed or was slow (the breaker).
      for (const result of new Set(after.filter((s) => s.name === CACHE_REQUESTS).map((s) => s.labels.result ?? ''))) {
        const count = result === 'hit' ? 0 : delta(CACHE_REQUESTS, { ...PROFILE, result });
        if (count > 0) checks[`reads.${result}`] = count;
      }
      return checks;
    };
  };
}

/** Requests the service has answered on GET /users/:id since it started. */
function requestsServed(samples: readonly Sample[], kind: ServerKind): number {
  return kind === 'cache-off' ? total(samples, ORIGIN_QUERIES, { operation: 'user.find' }) : total(samples, CACHE_REQUESTS, PROFILE);
}

async function run(): Promise<BenchResult[]> {
  const settings = benchSettings();
  if (settings.BENCH_CPU_PROF) progress('BENCH_CPU_PROF=1: the profiler slows every server down; use this run for the profiles, not for the figures');
  progress('native infrastructure (Redis Cluster, Sentinel group, Postgres)');
  await ensureInfra({ log: progress });
  await ensureUsers(settings.BENCH_IDS);

  let kinds = selectKinds(settings.BENCH_VARIANTS);
  if (kinds.some(usesZipkin)) kinds = await startBenchZipkin(kinds);
  const servers = new Map<ServerKind, ChildServer>();
  const redis = createRedis(redisConfigFromEnv(childEnv('baseline', 0)), { purpose: 'queue', connectionName: 'bench-user' });
  // ioredis reconnects by itself; an outage that matters shows up as a failed command.
  redis.on('error', () => undefined);
  try {
    progress(`starting ${kinds.join(', ')} (REDIS_MODE=${childEnv('baseline', 0).REDIS_MODE})`);
    // One at a time: four tsx start-ups at once on two cores take longer than in a row.
    for (const kind of kinds) servers.set(kind, await startKind(kind, settings));
    await waitForReady(redis);
    const server = (kind: ServerKind) => servers.get(kind) as ChildServer;
    const ids = Array.from({ length: settings.BENCH_IDS }, (_, i) => i + 1);
    const rewarm = () => retryOnceHealthy('warm-up', () => warm(server('hit'), redis, ids));
    await rewarm();

    const variants: Variant[] = kinds.map((kind) => ({
      id: kind,
      label: LABELS[kind],
      server: server(kind),
      nextPath: cycle(ids, '/users/'),
      ...(kind === 'cache-off' ? {} : { prepare: rewarm }),
      ...(kind.startsWith('baseline') ? {} : { observe: withZipkinCpu(kind, serviceChecks(server(kind), kind)) }),
    }));
    progress(
      `${settings.BENCH_ROUNDS} rounds x ${kinds.length} variants, each ${settings.BENCH_WARMUP} s warm-up + ${settings.BENCH_DURATION} s measured, ${settings.BENCH_CONNECTIONS} connections, ${ids.length} ids`,
    );
    const results = await measureInterleaved(variants, settings);

    const startupMs = new Map(kinds.map((kind) => [kind, server(kind).startupMs]));
    const served = new Map<ServerKind, number>();
    for (const kind of kinds.filter((k) => !k.startsWith('baseline'))) served.set(kind, requestsServed(await scrape(server(kind).origin), kind));
    await Promise.all([...servers.values()].map((s) => s.stop()));
    servers.clear();

    await describeTracing(results, served);
    describeZipkin(results);
    addRatios(results);
    if (settings.BENCH_CPU_PROF) printProfiles(startupMs);
    return results;
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
    if (zipkinPort !== undefined) await stopZipkin(zipkinPort);
    zipkinPort = undefined;
    await unlinkByPrefix(redis, KEY_PREFIX).catch((error: unknown) => progress(`could not delete the keys ${KEY_PREFIX}*: ${String(error)}`));
    await closeRedis(redis);
  }
}

/**
 * Spans written per request by the traced servers; the span files are deleted afterwards
 * (hundreds of MB). The baseline counts no requests, so it gets its span count only.
 */
async function describeTracing(results: BenchResult[], served: Map<ServerKind, number>): Promise<void> {
  for (const result of results) {
    const kind = result.id as ServerKind;
    if (kind === 'baseline' || kind === 'hit-untraced' || kind === 'hit-zipkin-only') continue;
    const file = workDir(kind, 'traces', kind === 'baseline-traced' ? 'bench-baseline.jsonl' : 'user-service.jsonl');
    const { spans, bytes } = await spanFileStats(file);
    const requests = served.get(kind);
    result.notes = { ...(requests === undefined ? { spans } : { spansPerRequest: spans / Math.max(1, requests) }), spanFileMB: bytes / 2 ** 20 };
    fs.rmSync(file, { force: true });
  }
}

/** The variants BENCH_VARIANTS names (all when it names none), with those their ratios compare against. */
function selectKinds(wanted: readonly string[]): ServerKind[] {
  if (wanted.length === 0) return KINDS;
  const unknown = wanted.filter((id) => !(KINDS as readonly string[]).includes(id));
  if (unknown.length > 0) throw new Error(`BENCH_VARIANTS: unknown variant ${unknown.join(', ')} (part user has ${KINDS.join(', ')})`);
  const chosen = new Set(wanted as ServerKind[]);
  for (const kind of [...chosen]) for (const other of COMPARED_WITH[kind] ?? []) chosen.add(other);
  return KINDS.filter((kind) => chosen.has(kind));
}

/** A Zipkin of the bench's own (see zipkinPort); without Java the Zipkin variants are left out, saying so. */
async function startBenchZipkin(kinds: ServerKind[]): Promise<ServerKind[]> {
  const port = await freePort();
  const outcome = await ensureZipkin(progress, port);
  if (outcome.state === 'skipped') {
    progress(`no Zipkin (${outcome.reason}): the variants ${kinds.filter(usesZipkin).join(', ')} are left out`);
    return kinds.filter((kind) => !usesZipkin(kind));
  }
  zipkinPort = port;
  progress(`zipkin for the bench on ${port}`);
  return kinds;
}

function zipkinCpuSeconds(): number {
  const pid = zipkinPort === undefined ? undefined : zipkinPid(zipkinPort);
  if (pid === undefined) return Number.NaN;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 per second on Linux)
}

/**
 * The Zipkin server's own CPU per request, beside the service's: spans are sent by the service
 * and stored by Zipkin, on the same two cores.
 */
function withZipkinCpu(kind: ServerKind, observe: Variant['observe']): Variant['observe'] {
  if (!usesZipkin(kind) || !observe) return observe;
  return async () => {
    const end = await observe();
    const before = zipkinCpuSeconds();
    return async (figures) => ({
      ...(await end(figures)),
      zipkinCpuUsPerRequest: (1e6 * (zipkinCpuSeconds() - before)) / Math.max(1, figures.requests),
    });
  };
}

/** What the Zipkin exporter costs the service per request, against the span file, and Zipkin's memory after the run. */
function describeZipkin(results: BenchResult[]): void {
  const byId = new Map(results.map((r) => [r.id, r]));
  const file = byId.get('hit');
  const cpu = (r: BenchResult | undefined) => r?.cpuUsPerRequest ?? Number.NaN;
  for (const id of ['hit-zipkin', 'hit-zipkin-only'] as const) {
    const result = byId.get(id);
    if (!result) continue;
    result.notes = {
      ...result.notes,
      serviceCpuUsPerRequestVsSpanFile: cpu(result) - cpu(file),
      zipkinCpuUsPerRequest: median(result.rounds.map((round) => round.checks?.zipkinCpuUsPerRequest ?? Number.NaN)),
      ...(zipkinPort === undefined ? {} : { zipkinRssMB: zipkinRssMb(zipkinPort) ?? Number.NaN }),
    };
  }
}

function addRatios(results: BenchResult[]): void {
  const byId = new Map(results.map((r) => [r.id as ServerKind, r]));
  // A ratio is added only when both variants were measured (BENCH_VARIANTS may leave some out).
  const add = (kind: ServerKind, against: ServerKind, metric: 'rps' | 'p99' | 'cpu', label: string, target?: number) => {
    const result = byId.get(kind);
    const baseline = byId.get(against);
    if (result && baseline) result.ratios.push(ratio(result, baseline, metric, label, target));
  };
  add('hit', 'baseline', 'rps', 'hit path / bare baseline', HIT_PATH_TARGET);
  add('hit', 'baseline', 'p99', 'hit path / bare baseline');
  add('hit', 'baseline', 'cpu', 'hit path / bare baseline');
  add('hit', 'baseline-traced', 'rps', 'hit path / bare baseline, both traced');
  add('hit', 'baseline-traced', 'cpu', 'hit path / bare baseline, both traced');
  add('hit', 'hit-untraced', 'rps', 'hit path, tracing on / tracing off');
  add('hit', 'cache-off', 'rps', 'hit path / cache off');
  add('hit-sampled', 'baseline', 'rps', `hit path, ${SAMPLED_RATIO * 100} % sampled / bare baseline`);
  add('hit-sampled', 'baseline', 'cpu', `hit path, ${SAMPLED_RATIO * 100} % sampled / bare baseline`);
  add('hit-untraced', 'baseline', 'rps', 'hit path, tracing off / bare baseline');
  add('hit-untraced', 'baseline', 'cpu', 'hit path, tracing off / bare baseline');
  add('hit-zipkin', 'hit', 'rps', 'hit path, span file + Zipkin / span file');
  add('hit-zipkin', 'hit', 'cpu', 'hit path, span file + Zipkin / span file');
  add('hit-zipkin', 'hit', 'p99', 'hit path, span file + Zipkin / span file');
  add('hit-zipkin-only', 'hit', 'rps', 'hit path, Zipkin only / span file');
  add('hit-zipkin-only', 'hit', 'cpu', 'hit path, Zipkin only / span file');
  add('baseline-traced', 'baseline', 'rps', 'bare baseline, tracing on / off');
  add('baseline-traced', 'baseline', 'cpu', 'bare baseline, tracing on / off');
  add('cache-off', 'baseline', 'rps', 'cache off / bare baseline');
  add('cache-off', 'baseline', 'p99', 'cache off / bare baseline');
}

function printProfiles(startupMs: Map<ServerKind, number>): void {
  for (const [kind, skipMs] of startupMs) {
    const file = workDir('profiles', `${kind}.cpuprofile`);
    if (!fs.existsSync(file)) {
      progress(`no CPU profile for ${kind} (${file})`);
      continue;
    }
    console.log(`\n${formatProfile(`CPU profile of ${kind} (${path.relative(repoRoot, file)})`, summarizeProfile(file, { skipMs }))}`);
  }
}

export const part: BenchPart = {
  name: 'user',
  description: 'GET /users/:id on cache hits vs a bare Express + ioredis GET, and with the cache off (Postgres on every read)',
  run,
};
