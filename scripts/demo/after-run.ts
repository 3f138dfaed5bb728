/**
 * What the demo hands over to the other tools at the end of a run, each used only when it exists
 * in this checkout: the pattern comparison read from traces (`@cachelab/compare`, tools/compare)
 * and one trace link per behaviour (scripts/demo/trace-links.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot, statePath } from '../../infra/native/paths';

interface CompareResult {
  table: string;
  markdownPath: string;
  htmlPath: string;
}
type RunCompare = (options: { since: number | Date | string; source?: string; outDir: string }) => Promise<CompareResult>;

const compareEntry = join(repoRoot, 'tools', 'compare', 'src', 'index.ts');
const traceLinksScript = join(repoRoot, 'scripts', 'demo', 'trace-links.ts');

export const compareAvailable = (): boolean => existsSync(compareEntry);
export const traceLinksAvailable = (): boolean => existsSync(traceLinksScript);

/** `npm run compare` for the spans since `since` (reads Zipkin, else the span files). */
export async function compareRun(since: Date): Promise<CompareResult> {
  const module = (await import(pathToFileURL(compareEntry).href)) as { runCompare?: RunCompare };
  if (typeof module.runCompare !== 'function') throw new Error(`${compareEntry} exports no runCompare`);
  return module.runCompare({ since, outDir: statePath('reports') });
}

export interface TraceLink {
  behaviour: string;
  traceId: string;
  url: string;
}

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
