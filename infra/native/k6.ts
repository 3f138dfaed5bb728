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
}

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
 * and k6's errors go to this process's stdout and stderr. Resolves whatever k6's exit code.
 */
export async function runLoadTest(scenario: string, env: Record<string, string> = {}): Promise<LoadTestRun> {
  const k6 = await ensureK6();
  const reportDir = env.REPORT_DIR ? path.resolve(env.REPORT_DIR) : statePath('reports');
  const reportPath = path.join(reportDir, `${scenario}.json`);
  fs.mkdirSync(reportDir, { recursive: true });
  fs.rmSync(reportPath, { force: true });
  const script = path.join(repoRoot, 'loadtests', `${scenario}.js`);
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(k6, ['run', '--quiet', script], {
      cwd: repoRoot,
      env: { ...process.env, ...env, REPORT_DIR: reportDir },
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
  return { exitCode, reportPath, report };
}
