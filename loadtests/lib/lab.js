// What the lab scenarios (lab-*.js) share: each one runs ONE variant of a comparison (a /lab route
// that is wrong on purpose, or its correct twin), measures it, and adds a `lab` section to its
// JSON report that the demo turns into $CACHELAB_STATE_DIR/reports/lab.json. docs/demo.md lists
// the comparisons.
import exec from 'k6/execution';
import http from 'k6/http';
import { reportSummary } from './report.js';
import { metricSum } from './prometheus.js';

export const setupTags = { tags: { route: 'setup', name: 'setup' } };

/** The sum of a metric of the service at baseUrl (its GET /metrics), aborting when it does not answer. */
export function serviceMetric(baseUrl, name, match = {}) {
  const res = http.get(`${baseUrl}/metrics`, setupTags);
  if (res.status !== 200) exec.test.abort(`GET ${baseUrl}/metrics answered ${res.status} ${res.error ?? ''}`);
  return metricSum(res.body, name, match);
}

/** Aborts unless the service answers /readyz with 200. */
export function requireReady(baseUrl, what) {
  const res = http.get(`${baseUrl}/readyz`, setupTags);
  if (res.status === 0) exec.test.abort(`${what} is not reachable at ${baseUrl}: ${res.error}`);
  if (res.status !== 200) exec.test.abort(`${what} at ${baseUrl} is not ready: /readyz answered ${res.status} ${res.body}`);
}

/**
 * handleSummary of a lab scenario: the usual report plus `lab: { comparison, variant,
 * wrongOnPurpose, figures }`, and one line per figure in the printed summary.
 * @param {object} data what k6 passes to handleSummary
 * @param {{ scenario: string, target: string, config: object, routes: string[] }} about
 * @param {{ comparison: string, variant: string, wrongOnPurpose: boolean, figures: Record<string, number | null> }} lab
 */
export function labSummary(data, about, lab) {
  const out = reportSummary(data, about);
  const [path] = Object.keys(out).filter((key) => key !== 'stdout');
  out[path] = `${JSON.stringify({ ...JSON.parse(out[path]), lab }, null, 2)}\n`;
  const figures = Object.entries(lab.figures).map(([name, value]) => `${name} ${value === null ? 'n/a' : round(value)}`);
  const line = `  lab        ${lab.comparison} / ${lab.variant}${lab.wrongOnPurpose ? ' (WRONG ON PURPOSE)' : ''}: ${figures.join(', ')}`;
  out.stdout = out.stdout.replace(/\n  report /, `\n${line}\n  report `);
  return out;
}

/** The count of a Counter (0 when it never got a sample). */
export const count = (data, name) => data.metrics[name]?.values.count ?? 0;

const round = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(3).replace(/0+$/, '').replace(/\.$/, ''));
