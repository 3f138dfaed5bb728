import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';

/** `$CACHELAB_STATE_DIR/reports/lab.json`, written by the demo: the `/lab` variants beside their correct twins. */
export interface LabResults {
  generatedAt: string;
  comparisons: LabComparison[];
}

export interface LabComparison {
  id: string;
  title: string;
  metric: string;
  unit: string;
  lowerIsBetter: boolean;
  rows: { variant: string; wrongOnPurpose: boolean; value: number; note?: string }[];
}

/** `$CACHELAB_STATE_DIR/reports/trace-links.json`: one real trace of the run per behaviour. */
export interface TraceLink {
  behaviour: string;
  traceId: string;
  url: string;
}

/** A k6 scenario of the run: its summary (loadtests/lib/report.js) and its web-dashboard export. */
export interface LoadTestSummary {
  scenario: string;
  /** The k6 HTML report, relative to the reports folder; null when k6 exported none. */
  html: string | null;
  passed: boolean | null;
  requests: number | null;
  perSecond: number | null;
  p95Ms: number | null;
  hitRatio: number | null;
}

export interface RunArtifacts {
  lab: LabResults | null;
  traceLinks: TraceLink[];
  loadTests: LoadTestSummary[];
  /** Files that were there but could not be read, with why. */
  problems: string[];
}

function readJson(path: string, problems: string[]): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    problems.push(`${path}: ${(error as Error).message}`);
    return undefined;
  }
}

function isLabResults(value: unknown): value is LabResults {
  const lab = value as LabResults;
  return (
    typeof lab === 'object' && lab !== null && Array.isArray(lab.comparisons) &&
    lab.comparisons.every((comparison) => typeof comparison?.id === 'string' && Array.isArray(comparison.rows) &&
      comparison.rows.every((row) => typeof row?.variant === 'string' && typeof row.value === 'number'))
  );
}

function isTraceLinks(value: unknown): value is TraceLink[] {
  return Array.isArray(value) && value.every((link) => typeof link?.behaviour === 'string' && typeof link.url === 'string');
}

/** k6's dashboard export says `<title>k6 report</title>` in its first few kilobytes. */
function isK6Html(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(16_384);
    const read = readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, read).toString('utf8').includes('<title>k6 report</title>');
  } finally {
    closeSync(fd);
  }
}

interface K6Report {
  passed?: boolean;
  requests?: { total?: number; perSecond?: number };
  latencyMs?: { all?: { p95?: number } | null };
  cache?: { hitRatio?: number | null };
}

/** Reads what the demo and k6 left in `reportsDir` (`$CACHELAB_STATE_DIR/reports`). */
export function readRunArtifacts(reportsDir: string): RunArtifacts {
  const problems: string[] = [];
  const labJson = readJson(join(reportsDir, 'lab.json'), problems);
  let lab: LabResults | null = null;
  if (labJson !== undefined) {
    if (isLabResults(labJson)) lab = labJson;
    else problems.push(`${join(reportsDir, 'lab.json')}: not { generatedAt, comparisons: [{ id, title, metric, unit, lowerIsBetter, rows: [{ variant, wrongOnPurpose, value }] }] }`);
  }
  const linksJson = readJson(join(reportsDir, 'trace-links.json'), problems);
  let traceLinks: TraceLink[] = [];
  if (linksJson !== undefined) {
    if (isTraceLinks(linksJson)) traceLinks = linksJson;
    else problems.push(`${join(reportsDir, 'trace-links.json')}: not [{ behaviour, traceId, url }]`);
  }

  const files = existsSync(reportsDir) ? readdirSync(reportsDir) : [];
  const scenarios = new Set(
    files
      .filter((name) => name.endsWith('.html') || name.endsWith('.json'))
      .map((name) => name.replace(/\.(html|json)$/, ''))
      .filter((name) => name !== 'lab' && name !== 'trace-links'),
  );
  const loadTests: LoadTestSummary[] = [...scenarios].sort().flatMap((scenario) => {
    const html = files.includes(`${scenario}.html`) && isK6Html(join(reportsDir, `${scenario}.html`)) ? `${scenario}.html` : null;
    const report = files.includes(`${scenario}.json`) ? (readJson(join(reportsDir, `${scenario}.json`), problems) as K6Report | undefined) : undefined;
    const isK6 = report !== undefined && typeof report === 'object' && report !== null && 'requests' in report;
    if (!html && !isK6) return [];
    return [{
      scenario,
      html,
      passed: isK6 ? (report.passed ?? null) : null,
      requests: isK6 ? (report.requests?.total ?? null) : null,
      perSecond: isK6 ? (report.requests?.perSecond ?? null) : null,
      p95Ms: isK6 ? (report.latencyMs?.all?.p95 ?? null) : null,
      hitRatio: isK6 ? (report.cache?.hitRatio ?? null) : null,
    }];
  });
  return { lab, traceLinks, loadTests, problems };
}
