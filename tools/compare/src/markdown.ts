import { COLUMNS, ms, ratio, SERVICE_COLUMNS, share, value } from './format';
import { sourceLine, type ReportContext } from './report-context';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
function table(headers: string[], rows: string[][]): string {
  return [`| ${headers.map(cell).join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

/** comparison.md: the same figures as the page, without the charts. */
export function markdownReport(context: ReportContext): string {
  const { figures, artifacts } = context;
  const parts = [
    '# Pattern comparison, read from traces',
    '',
    `${sourceLine(context)}. How each figure is computed: docs/compare.md.`,
    '',
    '## Per service, pattern and result',
    '',
    figures.rows.length > 0 ? table(COLUMNS.map((c) => c.title), figures.rows.map((row) => COLUMNS.map((c) => c.cell(row)))) : 'No spans in this window.',
    '',
    '## Per service',
    '',
    table(SERVICE_COLUMNS.map((c) => c.title), figures.services.map((t) => SERVICE_COLUMNS.map((c) => c.cell(t)))),
  ];
  if (artifacts.lab) {
    parts.push('', '## Wrong on purpose, side by side', '', `From the demo's lab run (${artifacts.lab.generatedAt}).`);
    for (const comparison of artifacts.lab.comparisons) {
      parts.push('', `### ${comparison.title}`, '', `${comparison.metric} (${comparison.unit}), ${comparison.lowerIsBetter ? 'lower' : 'higher'} is better.`, '');
      parts.push(table(['variant', comparison.unit || 'value', 'wrong on purpose', 'note'], comparison.rows.map((row) => [row.variant, value(row.value), row.wrongOnPurpose ? 'yes' : 'no', row.note ?? ''])));
    }
  }
  if (artifacts.traceLinks.length > 0) {
    parts.push('', '## Traces of this run', '', ...artifacts.traceLinks.map((link) => `- [${link.behaviour}](${link.url})`));
  }
  if (artifacts.loadTests.length > 0) {
    parts.push('', '## Load tests (k6)', '');
    parts.push(table(['scenario', 'passed', 'requests', 'req/s', 'p95 ms', 'hit ratio', 'k6 report'], artifacts.loadTests.map((test) => [
      test.scenario,
      test.passed === null ? '—' : test.passed ? 'yes' : 'no',
      test.requests === null ? '—' : String(test.requests),
      test.perSecond === null ? '—' : ratio(test.perSecond),
      test.p95Ms === null ? '—' : ms(test.p95Ms),
      share(test.hitRatio),
      test.html ? `[${test.html}](${context.reportsHref}/${test.html})` : '—',
    ])));
  }
  if (artifacts.problems.length > 0) parts.push('', '## Not read', '', ...artifacts.problems.map((problem) => `- ${problem}`));
  return `${parts.join('\n')}\n`;
}
