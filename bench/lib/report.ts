import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { statePath } from '../../infra/native/paths';
import type { BenchSettings } from './settings';
import type { BenchResult, Ratio } from './types';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** 1-minute load average when the part started: a busy machine makes every figure lower. */
  loadAverage: number;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: Number((os.loadavg()[0] ?? 0).toFixed(2)),
  };
}

/** One `npm run bench` of one part, as appended to `.cachelab/reports/bench-<part>.json`. */
export interface BenchRun {
  part: string;
  command: string;
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  /** 1-minute load average when the part finished. */
  loadAverageAfter: number;
  settings: BenchSettings;
  results: BenchResult[];
}

const num = (value: number | undefined, digits: number): string =>
  value === undefined || Number.isNaN(value) ? '-' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A Markdown table: readable in a terminal, and pasted as is into docs/benchmarks.md. */
export function formatTable(results: readonly BenchResult[]): string {
  const header = ['variant', 'req/s (median)', 'p50 ms', 'p99 ms', 'server CPU (cores)', 'server CPU µs/req', 'failed', 'req/s per round'];
  const rows = results.map((r) => [
    `${r.label} (\`${r.id}\`)`,
    num(r.rps, 0),
    num(r.p50Ms, 2),
    num(r.p99Ms, 2),
    num(r.serverCpuCores, 2),
    num(r.cpuUsPerRequest, 0),
    String(r.failedRequests),
    r.rounds.map((round) => num(round.rps, 0)).join(' / '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function formatRatio(ratio: Ratio): string {
  const what = { rps: 'req/s', p99: 'p99 latency', cpu: 'server CPU per request' }[ratio.metric];
  const target = ratio.target === undefined ? '' : ` (target ${ratio.metric === 'rps' ? '>=' : '<='} ${ratio.target.toFixed(2)}x)`;
  const verdict = ratio.pass === undefined ? '' : ratio.pass ? '  PASS' : '  MISS';
  return `${ratio.label} = ${ratio.value.toFixed(2)}x ${what}${target}${verdict}`;
}

/** Facts checked per round, and notes, one line per variant that has any. */
export function formatChecks(results: readonly BenchResult[]): string[] {
  return results.flatMap((r) => {
    const keys = [...new Set(r.rounds.flatMap((round) => Object.keys(round.checks ?? {})))];
    const value = (v: number | undefined) => num(v, v !== undefined && Number.isInteger(v) && Math.abs(v) > 1 ? 0 : 3);
    const checks = keys.map((key) => `${key} ${r.rounds.map((round) => value(round.checks?.[key])).join(' / ')}`);
    const notes = Object.entries(r.notes ?? {}).map(([key, value]) => `${key} ${typeof value === 'number' ? num(value, 2) : value}`);
    return checks.length + notes.length > 0 ? [`${r.id}: ${[...checks, ...notes].join('; ')}`] : [];
  });
}

export function reportFile(part: string): string {
  return statePath('reports', `bench-${part}.json`);
}

/** Appends the run to the part's JSON file (an array of runs, oldest first). */
export function appendRun(run: BenchRun): string {
  const file = reportFile(run.part);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let runs: BenchRun[] = [];
  try {
    const previous: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (Array.isArray(previous)) runs = previous as BenchRun[];
  } catch {
    // first run, or a file someone broke: start a new history rather than fail the bench
  }
  runs.push(run);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(runs, null, 2)}\n`);
  fs.renameSync(temporary, file);
  return file;
}
