// npm run bench [-- <part>...] [--list]: runs every benchmark part in bench/ (or the ones named),
// prints each part's table and its ratios against the baseline measured in the same run, and
// appends the run to .cachelab/reports/bench-<part>.json. Exits 1 on errors (a part that throws,
// failed requests), never for a missed target: those are printed as MISS. See docs/benchmarks.md.
import { parseArgs } from 'node:util';
import { ConfigError } from '@cachelab/config';
import { availableParts, loadPart } from '../bench/lib/parts';
import { progress } from '../bench/lib/progress';
import { appendRun, describeMachine, formatChecks, formatRatio, formatTable } from '../bench/lib/report';
import { benchEnvSet, benchSettings } from '../bench/lib/settings';
import type { BenchPart } from '../bench/lib/types';

function commandLine(parts: string[]): string {
  const env = Object.entries(benchEnvSet()).map(([key, value]) => `${key}=${value} `).join('');
  return `${env}npm run bench${parts.length > 0 ? ` -- ${parts.join(' ')}` : ''}`;
}

/** Runs one part and prints its results; false when it failed. */
async function runPart(part: BenchPart, command: string): Promise<boolean> {
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  console.log(`\n== ${part.name}${part.description ? `: ${part.description}` : ''}`);
  progress(`${part.name}: started (load average ${machine.loadAverage} on ${machine.cores} cores)`);
  if (machine.loadAverage > machine.cores) {
    progress(`the machine is busy (load average ${machine.loadAverage} > ${machine.cores} cores): req/s will be low and noisy; CPU per request holds up better`);
  }
  let results;
  try {
    results = await part.run();
  } catch (error) {
    console.error(`\n${part.name}: ERROR ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return false;
  }
  console.log(`\n${formatTable(results)}\n`);
  for (const result of results) for (const ratio of result.ratios) console.log(formatRatio(ratio));
  const checks = formatChecks(results);
  if (checks.length > 0) console.log(`\n${checks.join('\n')}`);
  const loadAverageAfter = describeMachine().loadAverage;
  const run = { part: part.name, command, startedAt, finishedAt: new Date().toISOString(), machine, loadAverageAfter, settings: benchSettings(), results };
  const file = appendRun(run);
  console.log(`\ncommand: ${command}`);
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}`);
  console.log(`load average: ${machine.loadAverage} at the start, ${loadAverageAfter} at the end`);
  console.log(`report:  ${file}`);
  const failed = results.filter((r) => r.failedRequests > 0);
  for (const r of failed) console.error(`${part.name}: ERROR ${r.failedRequests} failed requests in ${r.id}`);
  return failed.length === 0;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { list: { type: 'boolean' } } });
  const available = availableParts();
  if (values.list) {
    console.log(available.join('\n'));
    return 0;
  }
  const unknown = positionals.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    console.error(`unknown benchmark part(s): ${unknown.join(', ')}; available: ${available.join(', ')}\nusage: npm run bench [-- <part>...] [--list]`);
    return 2;
  }
  benchSettings(); // a bad BENCH_* value stops here, before any server starts
  const command = commandLine(positionals);
  let ok = true;
  for (const name of positionals.length > 0 ? positionals : available) ok = (await runPart(loadPart(name), command)) && ok;
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A bad BENCH_* value is a message for a person, not a stack trace.
    const text = error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`[bench] ${text}`);
    process.exitCode = 1;
  },
);
