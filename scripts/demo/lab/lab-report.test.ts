// reports/lab.json: its shape, its atomic write, its table. Run by `npm test` (the scripts' own
// tests): node --import tsx --test 'scripts/**/*.test.ts'
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatLabTable, labReportProblems, writeLabReport, type LabReport } from './lab-report';

const report = (): LabReport => ({
  generatedAt: '2026-12-07T17:00:00.000Z',
  comparisons: [
    {
      id: 'stampede-origin-queries',
      title: 'Stampede: 100 concurrent reads of one cold key',
      metric: 'database queries for the whole burst',
      unit: 'queries',
      lowerIsBetter: true,
      rows: [
        { variant: 'unprotected', wrongOnPurpose: true, value: 100, note: 'every miss queries' },
        { variant: 'protected', wrongOnPurpose: false, value: 1 },
      ],
    },
    {
      id: 'reservations-throughput',
      title: 'Reservations',
      metric: 'reservations answered per second',
      unit: 'req/s',
      lowerIsBetter: false,
      rows: [
        { variant: 'naive', wrongOnPurpose: true, value: 1650.4 },
        { variant: 'watch', wrongOnPurpose: false, value: 139.2 },
        { variant: 'lua', wrongOnPurpose: false, value: 2020.1 },
      ],
    },
  ],
});

test('a well-formed report has no problem', () => {
  assert.deepEqual(labReportProblems(report()), []);
  assert.deepEqual(labReportProblems({ generatedAt: new Date().toISOString(), comparisons: [] }), []);
});

test('each broken field is named', () => {
  const broken = report() as unknown as { generatedAt: unknown; comparisons: Record<string, unknown>[] };
  broken.generatedAt = 'yesterday';
  broken.comparisons[0]!.lowerIsBetter = 'yes';
  (broken.comparisons[0]!.rows as Record<string, unknown>[])[1]!.value = Number.NaN;
  (broken.comparisons[1]!.rows as Record<string, unknown>[])[0]!.extra = 1;
  broken.comparisons[1]!.id = 'stampede-origin-queries';
  assert.deepEqual(labReportProblems(broken), [
    'generatedAt is not an ISO date',
    'comparisons[0].lowerIsBetter is not a boolean',
    'comparisons[0].rows[1].value is not a finite number',
    'comparisons[1].id "stampede-origin-queries" appears twice',
    'comparisons[1].rows[0] has unknown fields: extra',
  ]);
  assert.deepEqual(labReportProblems([]), ['the report is not an object']);
  assert.ok(labReportProblems({ generatedAt: new Date().toISOString(), comparisons: [{ ...report().comparisons[0], rows: [] }] })[0]!.includes('at least two rows'));
});

test('writeLabReport writes exactly the report, and nothing when it is malformed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-report-'));
  try {
    const path = join(dir, 'reports', 'lab.json');
    writeLabReport(path, report());
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), report());
    assert.deepEqual(readdirSync(join(dir, 'reports')), ['lab.json'], 'no temporary file left behind');
    const other = join(dir, 'reports', 'other.json');
    assert.throws(() => writeLabReport(other, { generatedAt: 'no', comparisons: [] }), /malformed/);
    assert.equal(existsSync(other), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the table shows every row, marks the wrong-on-purpose ones and the best one', () => {
  const lines = formatLabTable(report()).split('\n');
  assert.equal(lines[0], 'Stampede: 100 concurrent reads of one cold key: database queries for the whole burst (lower is better)');
  assert.match(lines[1]!, /^ {2}unprotected +100 queries +WRONG ON PURPOSE {2}every miss queries$/);
  assert.match(lines[2]!, /^ {2}protected +1 queries +best$/);
  assert.match(lines[3]!, /\(higher is better\)$/);
  assert.match(lines[4]!, /naive +1650 req\/s +WRONG ON PURPOSE$/);
  assert.match(lines[6]!, /lua +2020 req\/s +best$/);
  assert.equal(lines.length, 7);
});
