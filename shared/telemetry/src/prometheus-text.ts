/**
 * A reader for the Prometheus text exposition format, enough for tests and benchmarks that fetch
 * `/metrics` over HTTP and want one number out of it. prom-client writes this format but does not
 * read it.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// name, optional {labels}, value, optional timestamp. The label block is matched greedily up to
// the last `}` because a label value may itself contain `}` but a sample value never does.
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;

function unescapeLabelValue(raw: string): string {
  return raw.replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch));
}

function parseValue(raw: string): number {
  switch (raw) {
    case '+Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    default:
      return Number(raw);
  }
}

export function parseMetricsText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) continue;
    const [, name = '', labelBlock = '', value = ''] = match;
    const labels: Record<string, string> = {};
    for (const [, labelName = '', labelValue = ''] of labelBlock.matchAll(LABEL_PAIR)) {
      labels[labelName] = unescapeLabelValue(labelValue);
    }
    samples.push({ name, labels, value: parseValue(value) });
  }
  return samples;
}

/**
 * The sum of the samples named `name` (exactly, so counters end in `_total`) whose labels include
 * every pair of `labels`; 0 when none match, as for a counter that was never incremented.
 *
 * @example readCounter(text, 'cachelab_cache_requests_total', { pattern: 'cache-aside', result: 'hit' })
 */
export function readCounter(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels);
  let sum = 0;
  for (const sample of parseMetricsText(text)) {
    if (sample.name !== name) continue;
    if (wanted.every(([key, value]) => sample.labels[key] === value)) sum += sample.value;
  }
  return sum;
}
