/**
 * `$CACHELAB_STATE_DIR/reports/lab.json`: the wrong-on-purpose variants side by side with their
 * correct twins, one comparison per figure. `npm run compare` renders it in its page; the demo
 * prints it as a table. The shape is fixed (docs/demo.md): add comparisons freely, rename nothing.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LabComparison, LabResults } from '@cachelab/compare';

// The file's shape is declared once, by its reader (@cachelab/compare); the demo writes it.
export type LabReport = LabResults;
export type { LabComparison };
export type LabRow = LabComparison['rows'][number];

/** Every problem with a would-be lab report, as readable lines; empty when it is well formed. */
export function labReportProblems(report: unknown): string[] {
  const problems: string[] = [];
  const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObject(report)) return ['the report is not an object'];
  if (typeof report.generatedAt !== 'string' || Number.isNaN(Date.parse(report.generatedAt))) problems.push('generatedAt is not an ISO date');
  if (!Array.isArray(report.comparisons)) return [...problems, 'comparisons is not a list'];
  const ids = new Set<string>();
  report.comparisons.forEach((comparison: unknown, i) => {
    const at = `comparisons[${i}]`;
    if (!isObject(comparison)) return problems.push(`${at} is not an object`);
    for (const key of ['id', 'title', 'metric', 'unit'] as const) {
      if (typeof comparison[key] !== 'string' || (key !== 'unit' && comparison[key] === '')) problems.push(`${at}.${key} is not a string`);
    }
    if (typeof comparison.id === 'string') {
      if (ids.has(comparison.id)) problems.push(`${at}.id "${comparison.id}" appears twice`);
      ids.add(comparison.id);
    }
    if (typeof comparison.lowerIsBetter !== 'boolean') problems.push(`${at}.lowerIsBetter is not a boolean`);
    if (!Array.isArray(comparison.rows) || comparison.rows.length < 2) return problems.push(`${at}.rows: a comparison needs at least two rows`);
    comparison.rows.forEach((row: unknown, j) => {
      const rowAt = `${at}.rows[${j}]`;
      if (!isObject(row)) return problems.push(`${rowAt} is not an object`);
      if (typeof row.variant !== 'string' || row.variant === '') problems.push(`${rowAt}.variant is not a string`);
      if (typeof row.wrongOnPurpose !== 'boolean') problems.push(`${rowAt}.wrongOnPurpose is not a boolean`);
      if (typeof row.value !== 'number' || !Number.isFinite(row.value)) problems.push(`${rowAt}.value is not a finite number`);
      if (row.note !== undefined && typeof row.note !== 'string') problems.push(`${rowAt}.note is not a string`);
      const extra = Object.keys(row).filter((key) => !['variant', 'wrongOnPurpose', 'value', 'note'].includes(key));
      if (extra.length > 0) problems.push(`${rowAt} has unknown fields: ${extra.join(', ')}`);
    });
    return undefined;
  });
  return problems;
}

/** Writes the report atomically (a reader never sees half a file); throws when it is malformed. */
export function writeLabReport(path: string, report: LabReport): void {
  const problems = labReportProblems(report);
  if (problems.length > 0) throw new Error(`refusing to write a malformed ${path}:\n  ${problems.join('\n  ')}`);
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(partial, path);
}

function formatValue(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toFixed(3);
}

/** The comparisons as a text table, the best row of each marked. */
export function formatLabTable(report: LabReport): string {
  const lines: string[] = [];
  for (const comparison of report.comparisons) {
    const values = comparison.rows.map((row) => row.value);
    const best = comparison.lowerIsBetter ? Math.min(...values) : Math.max(...values);
    lines.push(`${comparison.title}: ${comparison.metric} (${comparison.lowerIsBetter ? 'lower' : 'higher'} is better)`);
    const width = Math.max(...comparison.rows.map((row) => row.variant.length));
    const valueWidth = Math.max(...comparison.rows.map((row) => formatValue(row.value).length));
    for (const row of comparison.rows) {
      const marks = [row.wrongOnPurpose ? 'WRONG ON PURPOSE' : '', row.value === best ? 'best' : ''].filter(Boolean).join(', ');
      lines.push(
        `  ${row.variant.padEnd(width)}  ${formatValue(row.value).padStart(valueWidth)} ${comparison.unit.padEnd(8)}${marks ? ` ${marks}` : ''}${row.note ? `  ${row.note}` : ''}`.trimEnd(),
      );
    }
  }
  return lines.join('\n');
}
