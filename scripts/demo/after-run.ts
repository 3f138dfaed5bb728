/**
 * What the demo hands over to the other tools at the end of a run: the pattern comparison read
 * from traces (`@cachelab/compare`, tools/compare, which also renders reports/lab.json) and one
 * trace link per behaviour (scripts/demo/trace-links.ts, used when it exists in this checkout).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCompare, type CompareResult, type TraceLink } from '@cachelab/compare';
import { repoRoot, stateDir, statePath } from '../../infra/native/paths';

const traceLinksScript = join(repoRoot, 'scripts', 'demo', 'trace-links.ts');

export const traceLinksAvailable = (): boolean => existsSync(traceLinksScript);

/** `npm run compare` for the spans since `since` (Zipkin when it holds them, else the span files). */
export function compareRun(since: Date): Promise<CompareResult> {
  return runCompare({ since, stateDir: stateDir() });
}

export type { TraceLink };

/** Runs scripts/demo/trace-links.ts, then reads what it wrote to reports/trace-links.json. */
export async function traceLinks(since: Date): Promise<TraceLink[]> {
  const path = statePath('reports', 'trace-links.json');
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', traceLinksScript, '--since', since.toISOString()], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', (exit) => resolve(exit ?? 1));
  });
  if (code !== 0) throw new Error(`scripts/demo/trace-links.ts exited with ${code}`);
  if (!existsSync(path)) throw new Error(`scripts/demo/trace-links.ts wrote no ${path}`);
  return JSON.parse(readFileSync(path, 'utf8')) as TraceLink[];
}
