/**
 * `npm run traces`: read the span files of the native stack (.cachelab/traces/*.jsonl) as trees,
 * for when no Jaeger runs. Each cached operation shows its pattern and result:
 *
 *   GET /users/:id  4.1 ms
 *     cache.get user.profile  3.2 ms  [cache-aside → miss]
 *       cache.lookup  0.6 ms
 *       cache.origin.load  1.9 ms
 *         pg.query:SELECT cachelab_user  0.8 ms
 *
 * Usage: npm run traces -- [--service user-service] [--pattern cache-aside] [--result miss] [--last 5] [--trace <id>]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stateDir } from '../infra/native/paths';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  startTime: string;
  durationMs: number;
  attributes: Record<string, unknown>;
  resource?: Record<string, unknown>;
}

const USAGE = `npm run traces -- [--service user-service] [--pattern cache-aside] [--result miss] [--last 5] [--trace <id>]

Prints the newest traces of the span files in .cachelab/traces/ (<service>.jsonl) as trees.
  --service  one service's file only (user-service, catalog-service, inventory-service)
  --pattern  traces with a span whose cache.pattern is this (cache-aside, write-through, ...)
  --result   traces with a span whose cache.result is this (hit, miss, stale, bypass, ...)
  --last     how many traces to print, newest last (default 5)
  --trace    the one trace with this id (as docs/traces.md and the demo's trace links print it)`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        service: { type: 'string' },
        pattern: { type: 'string' },
        result: { type: 'string' },
        last: { type: 'string', default: '5' },
        trace: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\nusage: ${USAGE}`);
    process.exit(2);
  }
}

const values = parseOptions();
if (values.help) {
  console.log(`usage: ${USAGE}`);
  process.exit(0);
}
if (!/^[1-9]\d*$/.test(values.last)) {
  console.error(`--last must be a whole number >= 1, got ${JSON.stringify(values.last)}`);
  process.exit(2);
}

const dir = join(stateDir(), 'traces');
if (!existsSync(dir)) {
  console.error(`no span files in ${dir}: start the stack (npm run stack -- up) and send some requests`);
  process.exit(1);
}
const spans: Span[] = readdirSync(dir)
  .filter((file) => file.endsWith('.jsonl') && (!values.service || file === `${values.service}.jsonl`))
  .flatMap((file) => readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Span));

const byTrace = new Map<string, Span[]>();
for (const span of spans) byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span]);

const matches = (trace: Span[]) =>
  (!values.trace || trace[0]!.traceId === values.trace) &&
  trace.some(
    (span) =>
      (!values.pattern || span.attributes['cache.pattern'] === values.pattern) &&
      (!values.result || span.attributes['cache.result'] === values.result) &&
      (values.pattern || values.result ? span.attributes['cache.pattern'] !== undefined : true),
  );
const started = (trace: Span[]) => Math.min(...trace.map((span) => Date.parse(span.startTime)));
const traces = [...byTrace.values()].filter(matches).sort((a, b) => started(a) - started(b)).slice(-Number(values.last));

function print(trace: Span[], span: Span, depth: number): void {
  const pattern = span.attributes['cache.pattern'];
  const result = span.attributes['cache.result'];
  const tag = pattern || result ? `  [${[pattern, result].filter(Boolean).join(' → ')}]` : '';
  console.log(`${'  '.repeat(depth)}${span.name}  ${span.durationMs.toFixed(1)} ms${tag}`);
  trace
    .filter((child) => child.parentSpanId === span.spanId)
    .sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime))
    .forEach((child) => print(trace, child, depth + 1));
}

for (const trace of traces) {
  const ids = new Set(trace.map((span) => span.spanId));
  const roots = trace.filter((span) => !span.parentSpanId || !ids.has(span.parentSpanId));
  console.log(`\ntrace ${trace[0]!.traceId}  ${new Date(started(trace)).toISOString()}`);
  for (const root of roots) print(trace, root, 1);
}
if (traces.length === 0) console.log('no matching traces');
