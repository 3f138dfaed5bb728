import { parseMetricsText } from '@cachelab/telemetry';

export interface PatternRow {
  service: string;
  pattern: string;
  results: Record<string, number>;
}

/** cachelab_cache_requests_total of one running service, grouped by pattern. */
export async function cacheCounters(service: string, url: string): Promise<{ patterns: PatternRow[]; originQueries: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const byPattern = new Map<string, PatternRow>();
  let originQueries = 0;
  for (const sample of parseMetricsText(text)) {
    if (sample.name === 'cachelab_origin_queries_total') originQueries += sample.value;
    if (sample.name !== 'cachelab_cache_requests_total') continue;
    const pattern = sample.labels.pattern ?? '?';
    const row = byPattern.get(pattern) ?? { service, pattern, results: {} };
    const result = sample.labels.result ?? '?';
    row.results[result] = (row.results[result] ?? 0) + sample.value;
    byPattern.set(pattern, row);
  }
  return { patterns: [...byPattern.values()], originQueries };
}

/** Share of cached reads answered without the request's own database query. */
export function servedFromCache(results: Record<string, number>): number | null {
  const served = ['hit', 'stale', 'negative', 'coalesced'].reduce((sum, key) => sum + (results[key] ?? 0), 0);
  const total = Object.values(results).reduce((sum, value) => sum + value, 0);
  return total === 0 ? null : served / total;
}
