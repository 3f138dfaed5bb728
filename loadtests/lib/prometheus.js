// Reading a service's GET /metrics (Prometheus text) from a scenario: the lab scenarios measure
// what the database paid with deltas of cachelab_origin_queries_total taken before and after.
// Plain functions on text, so that Node's test runner checks them too (prometheus.test.mjs).

/**
 * Sum of every sample of `name` whose labels include all of `match`.
 * @param {string} text a Prometheus text exposition
 * @param {string} name a metric name (`cachelab_origin_queries_total`)
 * @param {Record<string, string | string[]>} [match] label values to keep (a list: any of them)
 * @returns {number}
 */
export function metricSum(text, name, match = {}) {
  let sum = 0;
  for (const line of text.split('\n')) {
    const sample = parseSample(line);
    if (!sample || sample.name !== name) continue;
    const keep = Object.entries(match).every(([label, wanted]) =>
      Array.isArray(wanted) ? wanted.includes(sample.labels[label]) : sample.labels[label] === wanted,
    );
    if (keep) sum += sample.value;
  }
  return sum;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** One sample line, or null for comments, blank lines and anything unreadable. */
export function parseSample(line) {
  if (line.startsWith('#')) return null;
  const m = SAMPLE.exec(line.trim());
  if (!m) return null;
  const value = Number(m[3]);
  if (Number.isNaN(value)) return null;
  const labels = {};
  for (const [, key, raw] of (m[2] ?? '').matchAll(LABEL)) labels[key] = raw.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
  return { name: m[1], labels, value };
}
