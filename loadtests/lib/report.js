// The end of every scenario: a JSON report in the report folder (what the demo's pattern
// comparison reads) and a few lines on stdout. Call from the scenario's handleSummary; note that
// defining handleSummary replaces k6's own end-of-test summary.
import { CACHE_RESULTS } from './cache-metrics.js';
import { stringEnv } from './env.js';

/**
 * REPORT_DIR, else $CACHELAB_STATE_DIR/reports, else <repo>/.cachelab/reports whatever the current
 * directory. A relative REPORT_DIR is taken from the current directory, as k6 would.
 */
function resolveReportDir() {
  const state = stringEnv('CACHELAB_STATE_DIR', undefined);
  const dir =
    stringEnv('REPORT_DIR', undefined) ??
    (state ? `${state}/reports` : decodeURIComponent(import.meta.resolve('../../.cachelab/reports').replace(/^file:\/\//, '')));
  return (dir.startsWith('/') || !__ENV.PWD ? dir : `${__ENV.PWD}/${dir}`).replace(/\/+$/, '');
}

// k6 neither creates the folder nor fails the run when it cannot write the report, so the folder
// is checked at start-up (in the init context, the only place where open() works).
function assertFolder(dir) {
  let message;
  try {
    open(dir);
    message = `${dir} is a file, not a folder`;
  } catch (e) {
    if (/directories/.test(String(e))) return;
    message = `the report folder ${dir} does not exist: create it (mkdir -p ${dir}; bash scripts/ensure-k6.sh creates the default one)`;
  }
  throw new Error(message);
}

export const REPORT_DIR = resolveReportDir();
assertFolder(REPORT_DIR);

const TREND_STATS = { avg: 'avg', p50: 'med', p90: 'p(90)', p95: 'p(95)', p99: 'p(99)', max: 'max' };

/**
 * @param {object} data what k6 passes to handleSummary
 * @param {{ scenario: string, target: string, config: object, routes: string[] }} about
 * @returns {Record<string, string>} handleSummary's answer: file path (or "stdout") -> content
 */
export function reportSummary(data, about) {
  const path = `${REPORT_DIR}/${about.scenario}.json`;
  const report = buildReport(data, about);
  return { [path]: `${JSON.stringify(report, null, 2)}\n`, stdout: textSummary(report, path) };
}

/** The report's shape is relied on by the demo: add fields freely, rename none. */
export function buildReport(data, { scenario, target, config, routes }) {
  const metrics = data.metrics;
  const thresholds = listThresholds(metrics);
  // Zero when setup aborted the test (the service down, data not seeded): k6 still calls
  // handleSummary, and thresholds over no samples would pass.
  const iterations = value(metrics, 'iterations', 'count') ?? 0;
  return {
    scenario,
    target,
    config,
    finishedAt: new Date().toISOString(),
    durationSeconds: round(data.state.testRunDurationMs / 1000, 3),
    passed: iterations > 0 && thresholds.every((t) => t.ok),
    iterations,
    thresholds,
    requests: {
      total: value(metrics, 'http_reqs', 'count') ?? 0,
      perSecond: round(value(metrics, 'http_reqs', 'rate') ?? 0, 1),
      failedRate: value(metrics, 'http_req_failed', 'rate') ?? 0,
      droppedIterations: value(metrics, 'dropped_iterations', 'count') ?? 0,
    },
    checks: listChecks(data.root_group),
    cache: {
      ...cacheBreakdown(metrics, ''),
      // Only the routes registered with cacheMetricsByRoute have per-route cache sub-metrics.
      byRoute: Object.fromEntries(
        routes
          .filter((route) => metrics[`cache_hit_ratio{route:${route}}`])
          .map((route) => [route, cacheBreakdown(metrics, `{route:${route}}`)]),
      ),
    },
    latencyMs: {
      all: trend(metrics, 'http_req_duration'),
      byRoute: Object.fromEntries(routes.map((route) => [route, trend(metrics, `http_req_duration{route:${route}}`)])),
    },
    k6: data,
  };
}

function value(metrics, name, stat) {
  const metric = metrics[name];
  return metric ? metric.values[stat] : undefined;
}

const round = (x, digits) => Math.round(x * 10 ** digits) / 10 ** digits;

function trend(metrics, name) {
  if (!metrics[name]) return null;
  const out = {};
  for (const [key, stat] of Object.entries(TREND_STATS)) {
    const v = value(metrics, name, stat);
    if (v !== undefined) out[key] = round(v, 3);
  }
  return out;
}

/** `hitRatio` is null when no read consulted the cache (rather than a misleading 0). */
function cacheBreakdown(metrics, selector) {
  const results = {};
  for (const result of CACHE_RESULTS) results[result] = value(metrics, `cache_${result}${selector}`, 'count') ?? 0;
  const lookups = CACHE_RESULTS.reduce((sum, result) => sum + (result === 'bypass' ? 0 : results[result]), 0);
  return {
    hitRatio: lookups > 0 ? value(metrics, `cache_hit_ratio${selector}`, 'rate') ?? null : null,
    results,
    unlabelled: value(metrics, `cache_unlabelled${selector}`, 'count') ?? 0,
  };
}

function listThresholds(metrics) {
  const out = [];
  for (const [metric, { thresholds, values }] of Object.entries(metrics)) {
    for (const [threshold, { ok }] of Object.entries(thresholds ?? {})) {
      // "p(95)<50" -> the p(95) value; "rate<0.01" -> the rate.
      const stat = /^\s*([a-z]+(\([\d.]+\))?)/.exec(threshold)?.[1];
      out.push({ metric, threshold, ok, actual: stat && values[stat] !== undefined ? values[stat] : null });
    }
  }
  return out;
}

function listChecks(group) {
  const own = group.checks.map(({ name, passes, fails }) => ({ name, passes, fails }));
  return own.concat(...group.groups.map(listChecks));
}

const percent = (ratio) => (ratio === null || ratio === undefined ? 'n/a' : `${(ratio * 100).toFixed(1)}%`);
const ms = (x) => (x === undefined ? 'n/a' : `${x.toFixed(1)}ms`);

function textSummary(report, path) {
  const { requests, cache, latencyMs } = report;
  const failed = report.thresholds.filter((t) => !t.ok);
  if (report.iterations === 0) {
    return `\n${report.scenario} against ${report.target}: NO RESULT, the test stopped before its first iteration (k6's error says why)\n  report     ${path}\n\n`;
  }
  const lines = [
    '',
    `${report.scenario} against ${report.target}: ` +
      (failed.length === 0
        ? `PASSED (${report.thresholds.length} thresholds)`
        : `FAILED ${failed.map((t) => `${t.metric} ${t.threshold} (was ${formatActual(t.actual)})`).join('; ')}`),
    `  requests   ${requests.total} in ${report.durationSeconds}s (${requests.perSecond}/s), failed ${percent(requests.failedRate)}` +
      `, dropped iterations ${requests.droppedIterations}`,
    `  cache      hit ratio ${percent(cache.hitRatio)}  ` +
      Object.entries(cache.results).map(([result, n]) => `${result} ${n}`).join(', ') +
      (cache.unlabelled ? `, no x-cache ${cache.unlabelled}` : ''),
  ];
  for (const [route, byRoute] of Object.entries(cache.byRoute)) {
    lines.push(`             ${route}: hit ratio ${percent(byRoute.hitRatio)}`);
  }
  for (const [route, t] of Object.entries(latencyMs.byRoute)) {
    if (t) lines.push(`  latency    ${route}: p50 ${ms(t.p50)}, p95 ${ms(t.p95)}, p99 ${ms(t.p99)}, max ${ms(t.max)}`);
  }
  const failedChecks = report.checks.filter((c) => c.fails > 0);
  for (const c of failedChecks) lines.push(`  check      "${c.name}" failed ${c.fails} of ${c.passes + c.fails}`);
  lines.push(`  report     ${path}`, '');
  return lines.join('\n');
}

function formatActual(actual) {
  if (actual === null || actual === undefined) return 'n/a';
  return Number.isInteger(actual) ? String(actual) : actual.toFixed(4).replace(/0+$/, '');
}
