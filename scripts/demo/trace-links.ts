/**
 * One real trace per behaviour of this run, found by the tags the code puts on its spans
 * (docs/traces.md): a link into Zipkin's UI for each, or, when Zipkin does not run, the trace id
 * from the span files with the `npm run traces` command that prints it.
 *
 *   node --import tsx scripts/demo/trace-links.ts [--since 2026-12-07T17:00:00Z] [--zipkin http://127.0.0.1:9411]
 *
 * Writes `$CACHELAB_STATE_DIR/reports/trace-links.json` and prints the list. Every behaviour has
 * happened at least once in a run that included the trace tour (scripts/demo/trace-tour.ts).
 */
import { createReadStream, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { stateDir } from '../../infra/native/paths';

/** A tag condition: `key=value`, or `key` alone (the span has the tag). */
type Tag = [key: string, value?: string];

export interface Behaviour {
  behaviour: string;
  /** Service whose spans carry the tags (Zipkin's serviceName). */
  service: 'user-service' | 'catalog-service' | 'inventory-service';
  /** All on one span; a Zipkin annotationQuery is these joined with " and ". */
  tags: Tag[];
  /** The section of docs/traces.md that explains it. */
  anchor: string;
}

/** The behaviours, in the order docs/traces.md shows them. */
export const BEHAVIOURS: Behaviour[] = [
  { behaviour: 'hit', service: 'user-service', tags: [['cache.pattern', 'cache-aside'], ['cache.result', 'hit']], anchor: 'a-hit' },
  { behaviour: 'miss with its origin load', service: 'user-service', tags: [['cache.pattern', 'cache-aside'], ['cache.result', 'miss']], anchor: 'a-miss-and-its-origin-load' },
  {
    behaviour: 'stampede follower that waited on the Redis lock',
    service: 'user-service',
    tags: [['cache.lock.waited', 'true'], ['cache.result', 'coalesced']],
    anchor: 'a-stampede-follower-that-waited-on-the-redis-lock',
  },
  {
    behaviour: 'in-process coalesced follower (linked to the leader)',
    service: 'user-service',
    tags: [['cache.single_flight', 'follower'], ['cache.pattern', 'cache-aside']],
    anchor: 'an-in-process-coalesced-follower',
  },
  { behaviour: 'stale answer and its background refresh', service: 'user-service', tags: [['cache.result', 'stale'], ['cache.refresh.reason', 'stale']], anchor: 'a-stale-answer-and-its-background-refresh' },
  { behaviour: 'XFetch early refresh', service: 'user-service', tags: [['cache.early_refresh', 'true'], ['cache.result', 'hit']], anchor: 'an-xfetch-early-refresh' },
  { behaviour: 'negative hit', service: 'user-service', tags: [['cache.pattern', 'cache-aside'], ['cache.result', 'negative']], anchor: 'a-negative-hit' },
  { behaviour: 'Bloom rejection', service: 'catalog-service', tags: [['cache.pattern', 'bloom-filter'], ['cache.result', 'negative']], anchor: 'a-bloom-rejection' },
  { behaviour: 'write-through write', service: 'catalog-service', tags: [['cache.pattern', 'write-through'], ['cache.result', 'written']], anchor: 'a-write-through-write' },
  { behaviour: 'tag invalidation', service: 'catalog-service', tags: [['cache.pattern', 'tag-invalidation'], ['cache.result', 'invalidated']], anchor: 'a-tag-invalidation' },
  { behaviour: 'near-cache hit', service: 'catalog-service', tags: [['cache.pattern', 'near-cache'], ['cache.result', 'hit']], anchor: 'a-near-cache-hit' },
  { behaviour: 'Lua reservation', service: 'inventory-service', tags: [['cache.pattern', 'lua-atomic'], ['cache.result', 'reserved']], anchor: 'a-lua-reservation' },
  { behaviour: 'inventory -> catalog call, one trace', service: 'inventory-service', tags: [['inventory.catalog.asked', 'true']], anchor: 'the-inventory--catalog-call-as-one-trace' },
  { behaviour: 'write-behind flush linked to the requests it persisted', service: 'inventory-service', tags: [['write_behind.linked_traces']], anchor: 'a-write-behind-flush-linked-to-the-requests-it-persisted' },
  { behaviour: 'degraded read (bypass)', service: 'user-service', tags: [['cache.result', 'bypass'], ['cache.bypass.reason', 'redis-unavailable']], anchor: 'a-degraded-read-bypass' },
];

export interface TeachingTrace {
  behaviour: string;
  traceId: string;
  /** The trace page in Zipkin's UI, or the `npm run traces` command when Zipkin does not run. */
  url: string;
  /** The search that found it: a Zipkin annotationQuery. */
  query: string;
}

export const annotationQuery = (tags: Tag[]) => tags.map(([key, value]) => (value === undefined ? key : `${key}=${value}`)).join(' and ');

interface ZipkinSpan {
  traceId: string;
  timestamp?: number;
}

async function zipkinUp(zipkinUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${zipkinUrl}/health`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/** The newest trace since `sinceMs` with a span of `b.service` carrying every tag of `b`. */
async function newestInZipkin(zipkinUrl: string, b: Behaviour, sinceMs: number): Promise<string | undefined> {
  const now = Date.now();
  const params = new URLSearchParams({
    serviceName: b.service,
    annotationQuery: annotationQuery(b.tags),
    endTs: String(now),
    lookback: String(Math.max(1, now - sinceMs)),
    limit: '10',
  });
  const response = await fetch(`${zipkinUrl}/api/v2/traces?${params}`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`Zipkin answered ${response.status} to ${params}`);
  const traces = (await response.json()) as ZipkinSpan[][];
  const newest = (trace: ZipkinSpan[]) => Math.max(...trace.map((span) => span.timestamp ?? 0));
  return traces.sort((a, b) => newest(b) - newest(a))[0]?.[0]?.traceId;
}

interface SpanLine {
  traceId: string;
  startTime: string;
  attributes: Record<string, unknown>;
  resource?: Record<string, unknown>;
}

const matchesTags = (span: SpanLine, tags: Tag[]) =>
  tags.every(([key, value]) => span.attributes[key] !== undefined && (value === undefined || String(span.attributes[key]) === value));

/** The same search in `.cachelab/traces/*.jsonl`: one pass over the files, newest match per behaviour. */
async function newestInSpanFiles(traceDir: string, behaviours: Behaviour[], sinceMs: number): Promise<Map<string, string>> {
  const found = new Map<string, { traceId: string; at: number }>();
  if (!existsSync(traceDir)) return new Map();
  const keys = [...new Set(behaviours.flatMap((b) => b.tags.map(([key]) => `"${key}"`)))];
  for (const file of readdirSync(traceDir).filter((name) => name.endsWith('.jsonl'))) {
    const service = file.replace(/\.jsonl$/, '');
    const candidates = behaviours.filter((b) => b.service === service);
    if (candidates.length === 0) continue;
    const lines = createInterface({ input: createReadStream(join(traceDir, file), 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!keys.some((key) => line.includes(key))) continue; // most spans carry none of the tags
      let span: SpanLine;
      try {
        span = JSON.parse(line) as SpanLine;
      } catch {
        continue; // a line cut by a rotation
      }
      const at = Date.parse(span.startTime);
      if (!(at >= sinceMs)) continue;
      for (const b of candidates) {
        if (matchesTags(span, b.tags) && at >= (found.get(b.behaviour)?.at ?? -Infinity)) found.set(b.behaviour, { traceId: span.traceId, at });
      }
    }
  }
  return new Map([...found].map(([behaviour, { traceId }]) => [behaviour, traceId]));
}

export interface FindOptions {
  zipkinUrl?: string;
  /** Only traces that started after this (epoch ms): the demo's start. */
  sinceMs: number;
  /** Where the report is written and the span files are read; `$CACHELAB_STATE_DIR` by default. */
  stateDir?: string;
  /** How long to keep asking Zipkin for behaviours not found yet (spans arrive in batches). */
  waitMs?: number;
}

/**
 * One entry per behaviour found (the newest trace of the run), from Zipkin when it answers, else
 * from the span files. Writes `<stateDir>/reports/trace-links.json`.
 */
export async function findTeachingTraces({ zipkinUrl = 'http://127.0.0.1:9411', sinceMs, stateDir: dir = stateDir(), waitMs = 10_000 }: FindOptions): Promise<TeachingTrace[]> {
  const links: TeachingTrace[] = [];
  if (await zipkinUp(zipkinUrl)) {
    // A span reaches Zipkin a batch delay after it ends (OTEL_BSP_SCHEDULE_DELAY, 1 s, plus the
    // POST): the last behaviours of a tour just finished may not be searchable yet. Ask again for
    // the missing ones until all are found or `waitMs` has passed.
    const found = new Map<string, string>();
    const deadline = Date.now() + waitMs;
    for (;;) {
      for (const b of BEHAVIOURS) {
        if (found.has(b.behaviour)) continue;
        const traceId = await newestInZipkin(zipkinUrl, b, sinceMs);
        if (traceId) found.set(b.behaviour, traceId);
      }
      if (found.size === BEHAVIOURS.length || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    for (const b of BEHAVIOURS) {
      const traceId = found.get(b.behaviour);
      if (traceId) links.push({ behaviour: b.behaviour, traceId, url: `${zipkinUrl}/zipkin/traces/${traceId}`, query: annotationQuery(b.tags) });
    }
  } else {
    const found = await newestInSpanFiles(join(dir, 'traces'), BEHAVIOURS, sinceMs);
    for (const b of BEHAVIOURS) {
      const traceId = found.get(b.behaviour);
      if (traceId) links.push({ behaviour: b.behaviour, traceId, url: `npm run traces -- --trace ${traceId}`, query: annotationQuery(b.tags) });
    }
  }
  mkdirSync(join(dir, 'reports'), { recursive: true });
  writeFileSync(join(dir, 'reports', 'trace-links.json'), `${JSON.stringify(links, null, 2)}\n`);
  return links;
}

/** The list as the demo prints it; behaviours without a trace are named too. */
export function formatTeachingTraces(links: TeachingTrace[]): string {
  const width = Math.max(...BEHAVIOURS.map((b) => b.behaviour.length));
  return BEHAVIOURS.map((b) => {
    const link = links.find((entry) => entry.behaviour === b.behaviour);
    return `  ${b.behaviour.padEnd(width)}  ${link ? link.url : `(no trace in this run; search: ${annotationQuery(b.tags)})`}`;
  }).join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { since: { type: 'string' }, zipkin: { type: 'string' } } });
  const sinceMs = values.since ? Date.parse(values.since) : Date.now() - 3_600_000;
  if (Number.isNaN(sinceMs)) {
    process.stderr.write(`--since must be an ISO date, got ${JSON.stringify(values.since)}\n`);
    return 2;
  }
  const links = await findTeachingTraces({ sinceMs, ...(values.zipkin ? { zipkinUrl: values.zipkin } : {}) });
  const where = links[0]?.url.startsWith('npm ') ? 'Zipkin is not running: the span files' : 'Zipkin';
  process.stdout.write(`\nTraces that teach (${links.length} of ${BEHAVIOURS.length} behaviours, from ${where}; docs/traces.md explains each):\n`);
  process.stdout.write(`${formatTeachingTraces(links)}\n`);
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`[trace-links] ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
