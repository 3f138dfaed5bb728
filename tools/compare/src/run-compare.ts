import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stateDir as defaultStateDir } from '@cachelab/telemetry';
import { computeFigures, type Figures } from './figures';
import { printedTable } from './format';
import { htmlReport } from './html-page';
import { markdownReport } from './markdown';
import { readRunArtifacts } from './run-artifacts';
import { readSpans } from './read-spans';
import type { SpanSource } from './span';
import { sourceLine, type ReportContext } from './report-context';

export interface CompareOptions {
  /** Spans that started before this are left out: epoch ms, a Date, or an ISO 8601 string. Default: the last hour. */
  since?: number | string | Date;
  /** Spans that started after this are left out (same forms as `since`). Default: now. */
  until?: number | string | Date;
  /** Default `auto`: Zipkin when it answers and holds spans of the window, else the span files. */
  source?: SpanSource | 'auto';
  /** Where comparison.md and comparison.html go. Default `$CACHELAB_STATE_DIR/reports/compare`. */
  outDir?: string;
  /** Default `$CACHELAB_STATE_DIR` (else `<repo>/.cachelab`). */
  stateDir?: string;
  /** Default http://127.0.0.1:9411. */
  zipkinUrl?: string;
}

export interface CompareResult {
  /** The printed table (what `npm run compare` writes to stdout). */
  table: string;
  markdownPath: string;
  htmlPath: string;
  figures: Figures;
  source: SpanSource;
}

/** `--since` (or `--until`) as epoch milliseconds: a number of ms, or anything Date.parse reads (ISO 8601). */
export function parseSince(value: number | string | Date, option = '--since'): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new Error(`${option}: expected epoch milliseconds or an ISO 8601 time, got ${JSON.stringify(value)}`);
  return ms;
}

/**
 * The pattern comparison of a run, read from its traces: prints nothing, returns the table and
 * writes `comparison.md` and `comparison.html` into `outDir`.
 */
export async function runCompare(options: CompareOptions = {}): Promise<CompareResult> {
  const state = options.stateDir ?? defaultStateDir();
  const untilMs = options.until === undefined ? Date.now() : parseSince(options.until, '--until');
  const sinceMs = options.since === undefined ? untilMs - 3_600_000 : parseSince(options.since);
  const reportsDir = join(state, 'reports');
  const outDir = options.outDir ?? join(reportsDir, 'compare');

  const { spans, ...spanSet } = await readSpans({
    source: options.source ?? 'auto',
    sinceMs,
    untilMs,
    stateDir: state,
    ...(options.zipkinUrl ? { zipkinUrl: options.zipkinUrl } : {}),
  });
  const figures = computeFigures(spans);
  const context: ReportContext = {
    figures,
    spans: spanSet,
    artifacts: readRunArtifacts(reportsDir),
    sinceMs,
    untilMs,
    reportsHref: relative(outDir, reportsDir) || '.',
  };

  mkdirSync(outDir, { recursive: true });
  const markdownPath = join(outDir, 'comparison.md');
  const htmlPath = join(outDir, 'comparison.html');
  writeFileSync(markdownPath, markdownReport(context));
  writeFileSync(htmlPath, htmlReport(context));
  return { table: printedTable(figures, sourceLine(context)), markdownPath, htmlPath, figures, source: spanSet.source };
}
