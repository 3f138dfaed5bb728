import * as fs from 'node:fs';

/** The parts of V8's `.cpuprofile` format (written by `node --cpu-prof`) used here. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled time when the process was not idle (after the skipped start-up). */
  busyMs: number;
  idleMs: number;
  skippedMs: number;
  byCategory: [string, number][];
  byPackage: [string, number][];
  topFunctions: [string, number][];
}

/**
 * Who a frame belongs to: an npm package, a cachelab workspace, a Node.js internal module, or
 * one of V8's pseudo-frames such as `(garbage collector)`. Native functions (no url, such as
 * `writeUtf8String`) return undefined: they are charged to the JavaScript that called them.
 */
export function frameOwner(url: string, functionName: string): string | undefined {
  if (!url) return functionName.startsWith('(') ? functionName : undefined;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first, second] = url.slice(modules + '/node_modules/'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? url);
  }
  const workspace = /\/(shared|services)\/([^/]+)\//.exec(url);
  if (workspace) return workspace[1] === 'shared' ? `@cachelab/${workspace[2]}` : `${workspace[2]}-service`;
  if (url.startsWith('node:')) {
    const [, area] = /^node:(?:internal\/)?([^/]+)/.exec(url) ?? [];
    return `node:${area ?? url}`;
  }
  if (/\/bench\//.test(url)) return 'bench';
  return url;
}

/** What a request spends its CPU on, coarse enough to answer "is it tracing, logging, HTTP, Redis?". */
const CATEGORIES: [string, RegExp][] = [
  ['tracing (OpenTelemetry, span export)', /^(@opentelemetry\/|@cachelab\/telemetry$|@prisma\/instrumentation$|shimmer$|require-in-the-middle$|import-in-the-middle$)/],
  ['request logging (pino, pino-http)', /^(pino|pino-http|pino-std-serializers|sonic-boom|thread-stream|fast-redact|on-exit-leak-free)$/],
  ['validation (zod)', /^zod$/],
  ['cache library (@cachelab/cache, opossum)', /^(@cachelab\/cache|opossum)$/],
  ['Redis client (ioredis)', /^(ioredis|redis-parser|cluster-key-slot|denque|standard-as-callback|redis-errors)$/],
  ['database (Prisma, pg)', /^(@prisma\/|pg|pg-.*|postgres-.*)/],
  ['prom-client', /^(prom-client|tdigest|bintrees)$/],
  ['Express and its middleware', /^(express|router|body-parser|content-type|type-is|finalhandler|send|mime-types|mime-db|media-typer|qs|raw-body|iconv-lite|on-finished|parseurl|path-to-regexp|encodeurl|escape-html|statuses|depd|accepts|negotiator|vary|cookie|proxy-addr|forwarded|@cachelab\/http-kit)$/],
  ['Node HTTP server and sockets', /^node:(_http_|http|net|stream|streams|stream_base_commons|dgram|tcp_wrap|url)/],
  ['async context (AsyncLocalStorage)', /^node:(async_context_frame|async_local_storage|async_hooks)/],
  ['garbage collection', /^\(garbage collector\)$/],
  ['service code', /-service$|^bench$/],
];

const categoryOf = (owner: string): string => CATEGORIES.find(([, pattern]) => pattern.test(owner))?.[0] ?? 'other (Node internals, ...)';

const sortDesc = (map: Map<string, number>, limit: number): [string, number][] =>
  [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);

const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);

/**
 * Self time by category, package and function. `skipMs` drops the first samples (the start-up:
 * module loading and tsx compiling), so that the figures describe the request path.
 */
export function summarizeProfile(file: string, { skipMs = 0, limit = 12 }: { skipMs?: number; limit?: number } = {}): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  /** The owner of a sample: its own frame's, or for a native function the nearest JavaScript caller's. */
  const ownerOf = (nodeId: number): string => {
    for (let id: number | undefined = nodeId; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      const owner = frame && frameOwner(frame.url, frame.functionName);
      if (owner) return owner;
    }
    return '(native)';
  };

  const categories = new Map<string, number>();
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let busyMs = 0;
  let idleMs = 0;
  let skippedMs = 0;
  let elapsedMs = 0;
  profile.samples.forEach((nodeId, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    elapsedMs += ms;
    const node = byId.get(nodeId);
    if (!node) return;
    if (elapsedMs < skipMs) {
      skippedMs += ms;
      return;
    }
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleMs += ms;
      return;
    }
    busyMs += ms;
    const owner = ownerOf(nodeId);
    add(packages, owner, ms);
    add(categories, categoryOf(owner), ms);
    add(functions, `${functionName || '(anonymous)'} ${url ? `${owner}:${lineNumber + 1}` : `(native, in ${owner})`}`, ms);
  });
  return {
    busyMs,
    idleMs,
    skippedMs,
    byCategory: sortDesc(categories, limit),
    byPackage: sortDesc(packages, limit),
    topFunctions: sortDesc(functions, limit),
  };
}

export function formatProfile(name: string, summary: ProfileSummary): string {
  const pct = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1).padStart(5)} %`;
  const list = (rows: [string, number][]) => rows.map(([key, ms]) => `    ${pct(ms)}  ${key}`).join('\n');
  return [
    `${name}: ${(summary.busyMs / 1000).toFixed(1)} s busy, ${(summary.idleMs / 1000).toFixed(1)} s idle (first ${(summary.skippedMs / 1000).toFixed(1)} s, the start-up, left out)`,
    `  self time by category:`,
    list(summary.byCategory),
    `  self time by package (native calls charged to their caller):`,
    list(summary.byPackage),
    `  top functions by self time:`,
    list(summary.topFunctions),
  ].join('\n');
}
