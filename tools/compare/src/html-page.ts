import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NO_OPERATION, type FigureRow } from './figures';
import { COLUMNS, ms, ratio, SERVICE_COLUMNS, share, value } from './format';
import { sourceLine, type ReportContext } from './report-context';
import { READ_RESULTS } from './span-kinds';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON inside a <script> element: nothing in it may close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** Chart.js's UMD build, read from node_modules and inlined: the page needs nothing from outside. */
function chartJs(): string {
  const main = require.resolve('chart.js'); // .../chart.js/dist/chart.cjs
  return readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
}

const pageScript = () => readFileSync(join(__dirname, 'page', 'charts.js'), 'utf8');

const rowLabel = (row: FigureRow) =>
  row.pattern === NO_OPERATION ? `${row.service} · ${row.operation}` : `${row.service} · ${row.operation} · ${row.result}`;

function htmlTable(headers: string[], rows: string[][], className = ''): string {
  const head = headers.map((h) => `<th>${escape(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${className}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const link = (href: string, text: string) => `<a href="${escape(href)}">${escape(text)}</a>`;

/** What charts.js draws from. */
function chartData({ figures, artifacts }: ReportContext) {
  const { timeline } = figures;
  const services = [...new Set(timeline.buckets.flatMap((bucket) => Object.keys(bucket.reads)))].sort();
  const results = READ_RESULTS.filter((result) => timeline.buckets.some((bucket) => Object.values(bucket.reads).some((byResult) => byResult[result])));
  const time = (startMs: number) => new Date(startMs).toISOString().slice(11, timeline.bucketMs < 60_000 ? 19 : 16);
  return {
    rows: figures.rows.map((row) => ({
      label: rowLabel(row),
      requestMs: row.requestMs,
      cacheMs: row.cacheMs,
      originLoadsPerRequest: row.originLoadsPerRequest,
      dbCallsPerRequest: row.dbCallsPerRequest,
      dbQueriesPerRequest: row.dbQueriesPerRequest,
      redisCallsPerRequest: row.redisCallsPerRequest,
    })),
    timeline: {
      labels: timeline.buckets.map((bucket) => time(bucket.startMs)),
      hitRatio: services.map((service) => ({
        service,
        values: timeline.buckets.map((bucket) => {
          const byResult = bucket.reads[service] ?? {};
          const all = Object.values(byResult).reduce((a, b) => a + b, 0);
          const answered = all - (byResult.miss ?? 0) - (byResult.bypass ?? 0);
          return all === 0 ? null : Math.round((answered / all) * 1000) / 10;
        }),
      })),
      results: results.map((result) => ({
        result,
        values: timeline.buckets.map((bucket) => Object.values(bucket.reads).reduce((sum, byResult) => sum + (byResult[result] ?? 0), 0)),
      })),
    },
    lab: artifacts.lab?.comparisons ?? [],
  };
}

/** A canvas in a box tall enough for `bars` horizontal bars. */
const canvas = (id: string, bars?: number) =>
  `<div class="chart" style="height:${bars === undefined ? 320 : Math.max(220, 60 + bars * 34)}px"><canvas id="${id}"></canvas></div>`;

/** comparison.html: one self-contained page (Chart.js and the data inlined). */
export function htmlReport(context: ReportContext): string {
  const { figures, artifacts } = context;
  const opRows = figures.rows.filter((row) => row.cacheMs !== null).length;
  const sections: string[] = [];

  sections.push(`<section><h2>Per service</h2>${htmlTable(
    SERVICE_COLUMNS.map((c) => c.title),
    figures.services.map((t) => SERVICE_COLUMNS.map((c) => escape(c.cell(t)))),
  )}</section>`);

  sections.push(`<section><h2>Latency per pattern and result</h2>
<p>Of the request (its SERVER span) and of the cached operation's own span, in milliseconds.</p>
<h3>Request</h3>${canvas('chart-request-latency', figures.rows.length)}
<h3>Cache span</h3>${canvas('chart-cache-latency', opRows)}</section>`);

  sections.push(`<section><h2>Origin load with and without protection</h2>
<p>What one request cost the origin and Redis, per pattern and result; the <code>/lab</code> routes (wrong on purpose) are listed by route.</p>
${canvas('chart-origin', figures.rows.length)}</section>`);

  sections.push(`<section><h2>Hit ratio over the run</h2>
<p>Outermost cached reads per ${figures.timeline.bucketMs / 1000} s, answered without an origin load of their own (hit, stale, negative, coalesced).</p>
${figures.timeline.buckets.length > 0 ? `${canvas('chart-hit-ratio')}<h3>Results</h3>${canvas('chart-results')}` : '<p>No cached read in this window.</p>'}</section>`);

  if (artifacts.lab) {
    const blocks = artifacts.lab.comparisons.map((comparison, index) => {
      const rows = comparison.rows.map((row) => [
        escape(row.variant),
        escape(value(row.value)),
        row.wrongOnPurpose ? '<span class="wrong">wrong on purpose</span>' : 'correct',
        escape(row.note ?? ''),
      ]);
      return `<div class="lab"><h3>${escape(comparison.title)}</h3>
<p>${escape(comparison.metric)} (${escape(comparison.unit)}), ${comparison.lowerIsBetter ? 'lower' : 'higher'} is better.</p>
${canvas(`chart-lab-${index}`, comparison.rows.length)}
${htmlTable(['variant', comparison.unit || 'value', '', 'note'], rows)}</div>`;
    });
    sections.push(`<section><h2>Wrong on purpose, side by side</h2><p>From the demo's lab run (${escape(artifacts.lab.generatedAt)}).</p>${blocks.join('\n')}</section>`);
  }

  if (artifacts.traceLinks.length > 0) {
    sections.push(`<section><h2>Traces of this run</h2><ul>${artifacts.traceLinks
      .map((t) => `<li>${link(t.url, t.behaviour)} <code>${escape(t.traceId)}</code></li>`)
      .join('\n')}</ul></section>`);
  }

  if (artifacts.loadTests.length > 0) {
    sections.push(`<section><h2>Load tests (k6)</h2><p>Each scenario's own k6 report (its web dashboard export).</p>${htmlTable(
      ['scenario', 'passed', 'requests', 'req/s', 'p95 ms', 'hit ratio', 'k6 report'],
      artifacts.loadTests.map((test) => [
        escape(test.scenario),
        test.passed === null ? '—' : test.passed ? 'yes' : '<span class="wrong">no</span>',
        test.requests === null ? '—' : String(test.requests),
        test.perSecond === null ? '—' : ratio(test.perSecond),
        test.p95Ms === null ? '—' : ms(test.p95Ms),
        share(test.hitRatio),
        test.html ? link(`${context.reportsHref}/${test.html}`, test.html) : '—',
      ]),
    )}</section>`);
  }

  sections.push(`<section><h2>Every figure</h2>${htmlTable(
    COLUMNS.map((c) => c.title),
    figures.rows.map((row) => COLUMNS.map((c) => escape(c.cell(row)))),
    'figures',
  )}</section>`);

  if (artifacts.problems.length > 0) {
    sections.push(`<section><h2>Not read</h2><ul>${artifacts.problems.map((p) => `<li>${escape(p)}</li>`).join('')}</ul></section>`);
  }

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cachelab: pattern comparison</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1rem 2rem 3rem; color: #1f2937; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #e5e7eb; padding-bottom: .2rem; }
.meta { color: #6b7280; }
table { border-collapse: collapse; margin: .6rem 0; font-size: 13px; }
th, td { border: 1px solid #e5e7eb; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f9fafb; }
table.figures td:nth-child(n+5) { text-align: right; white-space: nowrap; }
.chart { position: relative; width: 100%; margin: .4rem 0 1rem; }
.wrong { color: #dc2626; font-weight: 600; }
.lab { margin-bottom: 1.6rem; }
code { background: #f3f4f6; padding: 0 3px; border-radius: 3px; }
</style>
</head>
<body>
<h1>Pattern comparison, read from traces</h1>
<p class="meta">${escape(sourceLine(context))}. Generated ${escape(new Date().toISOString())}. How each figure is computed: docs/compare.md in the repository.</p>
${sections.join('\n')}
<script id="figures" type="application/json">${scriptJson(chartData(context))}</script>
<script>${chartJs()}</script>
<script>${pageScript()}</script>
</body>
</html>
`;
}
