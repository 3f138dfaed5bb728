import { envInt, loadConfig } from '@cachelab/config';
import { z } from 'zod';

const benchEnv = z.object({
  /** Measured seconds per variant per round. */
  BENCH_DURATION: envInt(1, 600).default(8),
  /** Unmeasured seconds of the same load before each measurement (JIT, pools, caches). */
  BENCH_WARMUP: envInt(0, 120).default(2),
  /** Rounds of every variant, interleaved; the figures are medians across rounds. */
  BENCH_ROUNDS: envInt(1, 50).default(3),
  /** Concurrent keep-alive connections of the load generator. */
  BENCH_CONNECTIONS: envInt(1, 1024).default(32),
  /** Distinct entity ids the load cycles through (all warmed first). */
  BENCH_IDS: envInt(1, 100_000).default(1000),
  /** `1` starts the servers under test with --cpu-prof and prints where their CPU went. */
  BENCH_CPU_PROF: z.stringbool().default(false),
  /**
   * Comma-separated variant ids: only these (and the variants their ratios compare against) are
   * measured, e.g. `hit,hit-zipkin` in part `user`. Empty: every variant.
   */
  BENCH_VARIANTS: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value.split(',').map((id) => id.trim()).filter(Boolean) : [])),
});

export type BenchSettings = z.output<typeof benchEnv>;

/** The knobs every part uses, so that all variants of all parts run under the same load. */
export function benchSettings(env: Record<string, string | undefined> = process.env): BenchSettings {
  return loadConfig(benchEnv, env);
}

/** The BENCH_* variables set in this environment, to repeat a run's exact command. */
export function benchEnvSet(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const keys = Object.keys(benchEnv.shape).concat('REDIS_MODE');
  return Object.fromEntries(keys.filter((key) => env[key] !== undefined).map((key) => [key, env[key] as string]));
}
