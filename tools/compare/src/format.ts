import type { FigureRow, Figures, ServiceTotals } from './figures';
import type { Percentiles } from './percentiles';

export const ms = (value: number): string => (value < 1 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0));
export const triple = (p: Percentiles | null): string => (p ? `${ms(p.p50)} / ${ms(p.p95)} / ${ms(p.p99)}` : '—');
export const ratio = (value: number): string => (value === 0 ? '0' : value.toFixed(2));
/** A measured value for a table: whole numbers as they are, others to three significant digits (at most 2 decimals past 100). */
export const value = (x: number): string =>
  Number.isInteger(x) ? String(x) : Math.abs(x) >= 100 ? x.toFixed(1) : String(Number(x.toPrecision(3)));
export const share = (value: number | null): string => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);

/** The columns of the comparison, shared by the printed table, the Markdown and the HTML page. */
export const COLUMNS: { title: string; cell: (row: FigureRow) => string; numeric?: boolean }[] = [
  { title: 'service', cell: (row) => row.service },
  { title: 'pattern', cell: (row) => row.pattern },
  { title: 'operation', cell: (row) => row.operation },
  { title: 'result', cell: (row) => row.result },
  { title: 'requests', cell: (row) => String(row.requests), numeric: true },
  { title: 'request ms p50/p95/p99', cell: (row) => triple(row.requestMs), numeric: true },
  { title: 'cache span ms p50/p95/p99', cell: (row) => triple(row.cacheMs), numeric: true },
  { title: 'origin loads/req', cell: (row) => ratio(row.originLoadsPerRequest), numeric: true },
  { title: 'db calls/req', cell: (row) => ratio(row.dbCallsPerRequest), numeric: true },
  { title: 'sql/req', cell: (row) => ratio(row.dbQueriesPerRequest), numeric: true },
  { title: 'redis calls/req', cell: (row) => ratio(row.redisCallsPerRequest), numeric: true },
  { title: 'lock waits', cell: (row) => String(row.lockWaits), numeric: true },
  { title: 'lock wait ms/req', cell: (row) => ms(row.lockWaitMsPerRequest), numeric: true },
  { title: 'followers (lease)', cell: (row) => (row.followers === 0 ? '0' : `${row.followers} (${row.followersWaited})`), numeric: true },
  { title: 'errors', cell: (row) => String(row.errors), numeric: true },
];

export const SERVICE_COLUMNS: { title: string; cell: (totals: ServiceTotals) => string }[] = [
  { title: 'service', cell: (t) => t.service },
  { title: 'requests', cell: (t) => String(t.requests) },
  { title: 'cached reads', cell: (t) => String(t.reads) },
  { title: 'hit ratio', cell: (t) => share(t.hitRatio) },
  { title: 'origin loads', cell: (t) => String(t.originLoads) },
  { title: 'db calls', cell: (t) => String(t.dbCalls) },
  { title: 'sql statements', cell: (t) => String(t.dbQueries) },
  { title: 'redis calls', cell: (t) => String(t.redisCalls) },
  { title: 'followers: lease / in-process', cell: (t) => `${t.followers}: ${t.followersWaited} / ${t.followersInProcess}` },
  { title: 'lock wait ms', cell: (t) => ms(t.lockWaitMs) },
  { title: 'failed requests', cell: (t) => String(t.failedRequests) },
];

/** A plain-text table with aligned columns, for the terminal. */
export function textTable(headers: string[], rows: string[][], numeric: boolean[] = []): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((width) => '─'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

export function windowText(figures: Figures): string {
  if (figures.firstMs === null || figures.lastMs === null) return 'no spans';
  return `${new Date(figures.firstMs).toISOString()} → ${new Date(figures.lastMs).toISOString()}`;
}

/** What `npm run compare` prints. */
export function printedTable(figures: Figures, header: string): string {
  if (figures.rows.length === 0) return `${header}\nno spans in this window: run some traffic (npm run demo) or widen --since`;
  const main = textTable(
    COLUMNS.map((column) => column.title),
    figures.rows.map((row) => COLUMNS.map((column) => column.cell(row))),
    COLUMNS.map((column) => column.numeric ?? false),
  );
  const totals = textTable(
    SERVICE_COLUMNS.map((column) => column.title),
    figures.services.map((service) => SERVICE_COLUMNS.map((column) => column.cell(service))),
  );
  return `${header}\n\n${main}\n\n${totals}`;
}
