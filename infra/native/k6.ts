import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, statePath } from './paths';

/** k6's exit codes worth telling apart (anything else non-zero is a k6 failure). */
export const K6_EXIT = { ok: 0, thresholdsCrossed: 99, scriptError: 107, aborted: 108 } as const;

type CacheResult = 'hit' | 'miss' | 'stale' | 'negative' | 'coalesced' | 'bypass';

interface CacheBreakdown {
  /** Share of cache lookups answered without the request's own origin query; null with no lookup. */
  hitRatio: number | null;
  results: Record<CacheResult, number>;
  unlabelled: number;
}

interface Latency {
  avg: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** What loadtests/lib/report.js writes to `<reports>/<scenario>.json` (the raw k6 data left out). */
export interface LoadTestReport {
  scenario: string;
  target: string;
  config: Record<string, string | number>;
  finishedAt: string;
  durationSeconds: number;
  passed: boolean;
  iterations: number;
  thresholds: { metric: string; threshold: string; ok: boolean; actual: number | null }[];
  requests: { total: number; perSecond: number; failedRate: number; droppedIterations: number };
  checks: { name: string; passes: number; fails: number }[];
  cache: CacheBreakdown & { byRoute: Record<string, CacheBreakdown> };
  latencyMs: { all: Latency | null; byRoute: Record<string, Latency | null> };
}

export interface LoadTestRun {
  exitCode: number;
  reportPath: string;
  /** null when k6 wrote none (it failed before handleSummary). */
  report: LoadTestReport | null;
  /**
   * k6's own HTML report (its web dashboard export, one self-contained file), next to the JSON
   * report; null when k6 wrote none: it skips runs shorter than about two dashboard periods.
   */
  htmlPath: string | null;
}

export interface LoadTestOptions {
  /**
   * The HTML report's file name without `.html`, for runs of one scenario with different knobs
   * (the lab's variants: `stampede-unprotected`). Default: the scenario.
   */
  reportName?: string;
  /**
   * A warm-up run: k6 judges no threshold (`--no-thresholds`) and its reports go to
   * `<reportDir>/warmup/`, so that the measured run after it keeps the scenario's own names.
   */
  warmup?: boolean;
}

/**
 * k6's web dashboard, for its HTML export only: no HTTP port (-1), so that concurrent or back to
 * back runs never fight over 5665 and k6 never waits for a browser to disconnect; a 1 s period so
 * that a run of a few seconds still has enough data for a report (k6 skips one with less than
 * about two periods). The environment's K6_WEB_DASHBOARD_PORT and _PERIOD win (set
 * K6_WEB_DASHBOARD_PORT=5665 to watch a run live); the export path is always the run's own.
 */
const DASHBOARD_DEFAULTS = { K6_WEB_DASHBOARD: 'true', K6_WEB_DASHBOARD_PORT: '-1', K6_WEB_DASHBOARD_PERIOD: '1s' };

/** The pinned k6 binary, built on first use (takes minutes once, then is cached across clones). */
export function ensureK6(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(repoRoot, 'scripts', 'ensure-k6.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const k6 = stdout.trim();
      if (code === 0 && k6) resolve(k6);
      else reject(new Error(`scripts/ensure-k6.sh failed (exit ${code}); its messages are above`));
    });
  });
}

/**
 * Runs loadtests/<scenario>.js. Its knobs go in `env` (see loadtests/README.md); the summary lines
 * and k6's errors go to this process's stdout and stderr. Resolves whatever k6's exit code. Besides
 * the JSON report, k6 exports its web dashboard as `<reportDir>/<reportName>.html`.
 */
export async function runLoadTest(scenario: string, env: Record<string, string> = {}, options: LoadTestOptions = {}): Promise<LoadTestRun> {
  const k6 = await ensureK6();
  const baseDir = env.REPORT_DIR ? path.resolve(env.REPORT_DIR) : statePath('reports');
  const reportDir = options.warmup ? path.join(baseDir, 'warmup') : baseDir;
  const reportPath = path.join(reportDir, `${scenario}.json`);
  const exportPath = path.join(reportDir, `${options.reportName ?? scenario}.html`);
  fs.mkdirSync(reportDir, { recursive: true });
  fs.rmSync(reportPath, { force: true });
  fs.rmSync(exportPath, { force: true });
  const script = path.join(repoRoot, 'loadtests', `${scenario}.js`);
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(k6, ['run', '--quiet', ...(options.warmup ? ['--no-thresholds'] : []), script], {
      cwd: repoRoot,
      env: { ...DASHBOARD_DEFAULTS, ...process.env, K6_WEB_DASHBOARD_EXPORT: exportPath, ...env, REPORT_DIR: reportDir },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  let report: LoadTestReport | null = null;
  try {
    report = JSON.parse(fs.readFileSync(reportPath, 'utf8')) as LoadTestReport;
  } catch {
    // no report: the exit code and k6's messages say why
  }
  return { exitCode, reportPath, report, htmlPath: fs.existsSync(exportPath) ? exportPath : null };
}
