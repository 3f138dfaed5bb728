/**
 * A benchmark part: one module `bench/<name>.ts` whose default export (or export `part`) is a
 * BenchPart. `npm run bench` runs every part; `npm run bench -- <name>` runs the ones named.
 */
export interface BenchPart {
  name: string;
  /** One sentence for the report header. */
  description?: string;
  /** Throws on errors (a server that does not start, failed requests); missing a target is not an error. */
  run(): Promise<BenchResult[]>;
}

/** A ratio of one figure to the same figure of the baseline measured in the same run. */
export interface Ratio {
  /** What is compared, e.g. `hit path / bare baseline`. */
  label: string;
  /** The `id` of the result in the denominator (usually the baseline). */
  against: string;
  metric: 'rps' | 'p99' | 'cpu';
  value: number;
  /** Lower bound for rps ratios, upper bound for p99 and CPU ratios; absent when the ratio is informative only. */
  target?: number;
  /** Undefined when there is no target. */
  pass?: boolean;
}

/** One variant measured over several interleaved rounds; figures are medians across rounds. */
export interface BenchResult {
  /** Short, stable key (`baseline`, `hit`, ...), used by ratios and to compare runs. */
  id: string;
  /** What was measured, for the table. */
  label: string;
  /** Requests per second (2xx only), median of the rounds. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** The per-round figures the medians come from, in round order. */
  rounds: RoundFigures[];
  /** Requests that did not succeed (socket errors, timeouts, non-2xx), summed over the rounds. */
  failedRequests: number;
  /** CPU the server process used during the measured window, in cores (1 = one core busy), median. */
  serverCpuCores?: number;
  /**
   * Server CPU time per request (microseconds), median. Less sensitive to a busy machine than
   * req/s: other processes slow the server down but do not make its requests cost more.
   */
  cpuUsPerRequest?: number;
  ratios: Ratio[];
  /** Facts about the run that are not per round (e.g. spans written per request). */
  notes?: Record<string, number | string>;
}

export interface RoundFigures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  failed: number;
  serverCpuCores?: number;
  cpuUsPerRequest?: number;
  /** Facts checked during the round, e.g. `{ hitRatio: 1 }`. */
  checks?: Record<string, number>;
}
