import type { ChildServer } from './child-server';
import { runLoad, type LoadFigures } from './load';
import { progress } from './progress';
import type { BenchSettings } from './settings';
import type { BenchResult, Ratio, RoundFigures } from './types';

/** One thing to measure: a server under test and the requests to send it. */
export interface Variant {
  id: string;
  label: string;
  server: ChildServer;
  /** The path of the next request. */
  nextPath: () => string;
  /** Before each round's warm-up, e.g. re-warm the cache (another process may have flushed it). */
  prepare?: () => Promise<void>;
  /**
   * Around the measured window: called before it, and the function it returns after it with the
   * load's figures; returns facts to check per round (hit ratio, database queries per request).
   */
  observe?: () => Promise<(figures: LoadFigures) => Promise<Record<string, number>>>;
}

/** The median of the values that are numbers (NaN when there is none). */
export const median = (values: number[]): number => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Round r runs the variants rotated by r, so that no variant always runs first, or last. */
const rotated = <T>(items: readonly T[], by: number): T[] => items.map((_, i) => items[(i + by) % items.length] as T);

const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** One progress line: `hit  3,684 req/s  p50 6.96 ms  p99 36.96 ms  server cpu 0.97 (264 us/req)  hitRatio 1.000` */
function describeRound(id: string, round: RoundFigures, statusCodes: Record<string, number>): string {
  const checks = Object.entries(round.checks ?? {}).map(([key, v]) => `  ${key} ${fmt(v, Number.isInteger(v) && Math.abs(v) > 1 ? 0 : 3)}`);
  const failed = round.failed > 0 ? `  FAILED ${round.failed} (${JSON.stringify(statusCodes)})` : '';
  const cpu = `server cpu ${fmt(round.serverCpuCores ?? Number.NaN, 2)} (${fmt(round.cpuUsPerRequest ?? Number.NaN)} us/req)`;
  return `${id.padEnd(12)} ${fmt(round.rps).padStart(7)} req/s  p50 ${fmt(round.p50Ms, 2)} ms  p99 ${fmt(round.p99Ms, 2)} ms  ${cpu}${checks.join('')}${failed}`;
}

async function measureOnce(variant: Variant, settings: BenchSettings): Promise<RoundFigures> {
  await variant.prepare?.();
  const load = { origin: variant.server.origin, nextPath: variant.nextPath, connections: settings.BENCH_CONNECTIONS };
  if (settings.BENCH_WARMUP > 0) await runLoad({ ...load, durationSec: settings.BENCH_WARMUP });
  const end = await variant.observe?.();
  const cpuBefore = variant.server.cpuSeconds();
  const figures = await runLoad({ ...load, durationSec: settings.BENCH_DURATION });
  const cpuSeconds = variant.server.cpuSeconds() - cpuBefore;
  const serverCpuCores = cpuSeconds / figures.durationSec;
  const cpuUsPerRequest = (1e6 * cpuSeconds) / Math.max(1, figures.requests);
  const checks = end ? await end(figures) : {};
  const round: RoundFigures = {
    rps: figures.rps,
    p50Ms: figures.p50Ms,
    p99Ms: figures.p99Ms,
    requests: figures.requests,
    failed: figures.failed,
    serverCpuCores,
    cpuUsPerRequest,
    ...(Object.keys(checks).length > 0 ? { checks } : {}),
  };
  progress(describeRound(variant.id, round, figures.statusCodes));
  return round;
}

/**
 * Measures every variant `BENCH_ROUNDS` times, interleaved (A B C, B C A, C A B, ...), each time
 * after its own warm-up and with the same load settings; reports the median of the rounds.
 * Interleaving spreads the machine's slow moments (other processes, thermal, GC of the load
 * generator) over all variants instead of charging them to whichever ran at that moment.
 */
export async function measureInterleaved(variants: readonly Variant[], settings: BenchSettings): Promise<BenchResult[]> {
  const rounds = new Map<string, RoundFigures[]>(variants.map((v) => [v.id, []]));
  for (let r = 0; r < settings.BENCH_ROUNDS; r++) {
    progress(`round ${r + 1}/${settings.BENCH_ROUNDS}`);
    for (const variant of rotated(variants, r)) {
      rounds.get(variant.id)?.push(await measureOnce(variant, settings));
    }
  }
  return variants.map((variant) => summarizeRounds(variant.id, variant.label, rounds.get(variant.id) as RoundFigures[]));
}

/** One variant's rounds as a result: medians of the rounds, failures summed, no ratios yet. */
export function summarizeRounds(id: string, label: string, figures: RoundFigures[]): BenchResult {
  return {
    id,
    label,
    rps: median(figures.map((f) => f.rps)),
    p50Ms: median(figures.map((f) => f.p50Ms)),
    p99Ms: median(figures.map((f) => f.p99Ms)),
    serverCpuCores: median(figures.map((f) => f.serverCpuCores ?? Number.NaN)),
    cpuUsPerRequest: median(figures.map((f) => f.cpuUsPerRequest ?? Number.NaN)),
    failedRequests: figures.reduce((sum, f) => sum + f.failed, 0),
    rounds: figures,
    ratios: [],
  };
}

const FIGURE: Record<Ratio['metric'], (r: BenchResult) => number> = {
  rps: (r) => r.rps,
  p99: (r) => r.p99Ms,
  cpu: (r) => r.cpuUsPerRequest ?? Number.NaN,
};

/**
 * `result / baseline` for one figure: req/s (higher is better, `target` is a lower bound), or
 * p99 latency or CPU per request (lower is better, `target` is an upper bound).
 */
export function ratio(result: BenchResult, baseline: BenchResult, metric: Ratio['metric'], label: string, target?: number): Ratio {
  const value = FIGURE[metric](result) / FIGURE[metric](baseline);
  const pass = target === undefined ? undefined : metric === 'rps' ? value >= target : value <= target;
  return { label, against: baseline.id, metric, value, ...(target === undefined ? {} : { target, pass }) };
}
