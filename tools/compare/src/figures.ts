import { percentiles, type Percentiles } from './percentiles';
import { displayName, type Span } from './span';
import {
  failed,
  isCacheAnswer,
  isDbCall,
  isLibrarySpan,
  isLockWait,
  isOperation,
  isOriginLoad,
  isPgQuery,
  isPrismaQuery,
  isReadResult,
  isRedisCall,
  lockWaitMs,
} from './span-kinds';
import { TraceIndex } from './trace-index';

/** What one request cost, counted over its spans (its SERVER span and everything below it in its service). */
export interface RequestCost {
  durationMs: number;
  originLoads: number;
  /** Calls into the ORM (Prisma operations). */
  dbCalls: number;
  /** SQL statements: pg spans, or Prisma's query spans where there is no pg span. */
  dbQueries: number;
  redisCalls: number;
  lockWaits: number;
  lockWaitMs: number;
  failed: boolean;
}

/** One line of the comparison: the cached operations of one service, pattern, operation and result. */
export interface FigureRow {
  service: string;
  /** `cache.pattern`; `—` for requests that made no cached operation (the `/lab` routes, plain writes). */
  pattern: string;
  /** The operation span's name (`cache.get user.profile`), or the route of a request without one. */
  operation: string;
  /** `cache.result`; `—` for requests without a cached operation. */
  result: string;
  /** Distinct requests (SERVER spans, or background jobs) in which such an operation ran. */
  requests: number;
  /** Operation spans (a request may hold several: a page of products). */
  operations: number;
  requestMs: Percentiles;
  /** Of the operation spans themselves; null for requests without one. */
  cacheMs: Percentiles | null;
  originLoadsPerRequest: number;
  /** Prisma operations per request; more than SQL statements when Prisma batched identical reads. */
  dbCallsPerRequest: number;
  /** SQL statements per request. */
  dbQueriesPerRequest: number;
  redisCallsPerRequest: number;
  /** cache.lock.wait spans in these requests, and the time they waited (mean per request). */
  lockWaits: number;
  lockWaitMsPerRequest: number;
  /** Operations answered `coalesced`: they shared a load made by another request. */
  followers: number;
  /** ...of which waited on the Redis lease (a cache.lock.wait below them); the rest shared a load in their process. */
  followersWaited: number;
  /** Operations that failed or whose request failed (status ERROR, HTTP 5xx). */
  errors: number;
}

export interface ServiceTotals {
  service: string;
  /** The requests of the rows: SERVER spans, and background jobs that did work. */
  requests: number;
  originLoads: number;
  dbCalls: number;
  dbQueries: number;
  redisCalls: number;
  lockWaits: number;
  lockWaitMs: number;
  /** Outermost cached reads answered `coalesced`. */
  followers: number;
  followersWaited: number;
  followersInProcess: number;
  failedRequests: number;
  /** Outermost cached reads (a read-through inside a near cache counts once, as the outer one). */
  reads: number;
  /** Share of those reads answered without an origin load of their own (hit, stale, negative, coalesced); null without reads. */
  hitRatio: number | null;
}

export interface TimelineBucket {
  startMs: number;
  /** service -> result -> outermost cached reads that started in this bucket. */
  reads: Record<string, Record<string, number>>;
}

export interface Timeline {
  bucketMs: number;
  buckets: TimelineBucket[];
}

export interface Figures {
  spanCount: number;
  traceCount: number;
  /** First and last span start, epoch ms (null without spans). */
  firstMs: number | null;
  lastMs: number | null;
  rows: FigureRow[];
  services: ServiceTotals[];
  timeline: Timeline;
}

export const NO_OPERATION = '—';

const BUCKET_SIZES_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].map((seconds) => seconds * 1000);

/** The smallest round bucket that splits the run into at most `maxBuckets`. */
export function bucketSize(rangeMs: number, maxBuckets = 60): number {
  return BUCKET_SIZES_MS.find((size) => rangeMs / size <= maxBuckets) ?? Math.ceil(rangeMs / maxBuckets);
}

interface RowBuilder {
  row: Omit<FigureRow, 'requests' | 'requestMs' | 'cacheMs' | 'originLoadsPerRequest' | 'dbCallsPerRequest' | 'dbQueriesPerRequest' | 'redisCallsPerRequest' | 'lockWaits' | 'lockWaitMsPerRequest'>;
  requests: Set<Span>;
  cacheMs: number[];
}

export function computeFigures(spans: readonly Span[]): Figures {
  const index = new TraceIndex(spans);
  const costs = new Map<Span, RequestCost>();
  const costOf = (request: Span): RequestCost => {
    let cost = costs.get(request);
    if (cost) return cost;
    const below = index.subtree(request);
    const pg = below.filter(isPgQuery).length;
    const waits = below.filter(isLockWait);
    cost = {
      durationMs: request.durationMs,
      originLoads: below.filter(isOriginLoad).length,
      dbCalls: below.filter(isDbCall).length,
      dbQueries: pg > 0 ? pg : below.filter(isPrismaQuery).length,
      redisCalls: below.filter(isRedisCall).length,
      lockWaits: waits.length,
      lockWaitMs: waits.reduce((sum, span) => sum + lockWaitMs(span), 0),
      // The request's own answer: a child that failed and was handled (a refused WATCH, a cache
      // write that lost) did not fail the request.
      failed: failed(request),
    };
    costs.set(request, cost);
    return cost;
  };

  const builders = new Map<string, RowBuilder>();
  const builder = (service: string, pattern: string, operation: string, result: string): RowBuilder => {
    const key = JSON.stringify([service, pattern, operation, result]);
    let found = builders.get(key);
    if (!found) {
      found = { row: { service, pattern, operation, result, operations: 0, followers: 0, followersWaited: 0, errors: 0 }, requests: new Set(), cacheMs: [] };
      builders.set(key, found);
    }
    return found;
  };

  const withOperation = new Set<Span>();
  const outerReads: Span[] = [];
  for (const span of spans) {
    if (!isOperation(span)) continue;
    const request = index.requestOf(span);
    withOperation.add(request);
    const pattern = span.attributes['cache.pattern']!;
    const result = span.attributes['cache.result']!;
    const entry = builder(span.service, pattern, displayName(span), result);
    entry.row.operations += 1;
    entry.requests.add(request);
    entry.cacheMs.push(span.durationMs);
    if (result === 'coalesced') {
      entry.row.followers += 1;
      if (index.subtree(span).some(isLockWait)) entry.row.followersWaited += 1;
    }
    if (failed(span) || costOf(request).failed) entry.row.errors += 1;
    if (isReadResult(result) && !index.hasAncestor(span, isOperation)) outerReads.push(span);
  }

  const listed = new Set<Span>(withOperation);
  for (const request of index.requestSpans()) {
    if (withOperation.has(request)) continue;
    // A background job without a cached operation is listed when it did real work (reached the
    // database or the origin): a periodic flush that found nothing to do is not a request.
    if (request.kind !== 'SERVER') {
      const cost = costOf(request);
      if (isLibrarySpan(request) || (cost.dbQueries === 0 && cost.dbCalls === 0 && cost.originLoads === 0)) continue;
    }
    const entry = builder(request.service, NO_OPERATION, displayName(request), NO_OPERATION);
    entry.requests.add(request);
    listed.add(request);
    if (costOf(request).failed) entry.row.errors += 1;
  }

  const rows: FigureRow[] = [...builders.values()].map(({ row, requests: set, cacheMs }) => {
    const list = [...set].map(costOf);
    const mean = (pick: (cost: RequestCost) => number) => list.reduce((sum, cost) => sum + pick(cost), 0) / list.length;
    return {
      ...row,
      requests: list.length,
      requestMs: percentiles(list.map((cost) => cost.durationMs))!,
      cacheMs: percentiles(cacheMs),
      originLoadsPerRequest: mean((cost) => cost.originLoads),
      dbCallsPerRequest: mean((cost) => cost.dbCalls),
      dbQueriesPerRequest: mean((cost) => cost.dbQueries),
      redisCallsPerRequest: mean((cost) => cost.redisCalls),
      lockWaits: list.reduce((sum, cost) => sum + cost.lockWaits, 0),
      lockWaitMsPerRequest: mean((cost) => cost.lockWaitMs),
    };
  });
  rows.sort(
    (a, b) =>
      a.service.localeCompare(b.service) ||
      Number(a.pattern === NO_OPERATION) - Number(b.pattern === NO_OPERATION) ||
      a.pattern.localeCompare(b.pattern) ||
      a.operation.localeCompare(b.operation) ||
      b.requests - a.requests,
  );

  const serviceNames = [...new Set(spans.map((span) => span.service))].sort();
  const services: ServiceTotals[] = serviceNames.map((service) => {
    const own = spans.filter((span) => span.service === service);
    const waits = own.filter(isLockWait);
    const reads = outerReads.filter((span) => span.service === service);
    const followers = reads.filter((span) => span.attributes['cache.result'] === 'coalesced');
    const waited = followers.filter((span) => index.subtree(span).some(isLockWait)).length;
    const pg = own.filter(isPgQuery).length;
    const serviceRequests = [...listed].filter((span) => span.service === service);
    return {
      service,
      requests: serviceRequests.length,
      originLoads: own.filter(isOriginLoad).length,
      dbCalls: own.filter(isDbCall).length,
      dbQueries: pg > 0 ? pg : own.filter(isPrismaQuery).length,
      redisCalls: own.filter(isRedisCall).length,
      lockWaits: waits.length,
      lockWaitMs: waits.reduce((sum, span) => sum + lockWaitMs(span), 0),
      followers: followers.length,
      followersWaited: waited,
      followersInProcess: followers.length - waited,
      failedRequests: serviceRequests.filter((request) => costOf(request).failed).length,
      reads: reads.length,
      hitRatio: reads.length === 0 ? null : reads.filter((span) => isCacheAnswer(span.attributes['cache.result']!)).length / reads.length,
    };
  });

  // A loop, not Math.min(...starts): a long run has more spans than a call may take arguments.
  let firstMs: number | null = null;
  let lastMs: number | null = null;
  for (const span of spans) {
    if (firstMs === null || span.startMs < firstMs) firstMs = span.startMs;
    if (lastMs === null || span.startMs > lastMs) lastMs = span.startMs;
  }
  return { spanCount: spans.length, traceCount: index.traceCount(), firstMs, lastMs, rows, services, timeline: timeline(outerReads, firstMs, lastMs) };
}

function timeline(reads: readonly Span[], firstMs: number | null, lastMs: number | null): Timeline {
  if (firstMs === null || lastMs === null || reads.length === 0) return { bucketMs: 1000, buckets: [] };
  const bucketMs = bucketSize(lastMs - firstMs);
  const start = Math.floor(firstMs / bucketMs) * bucketMs;
  const count = Math.floor((lastMs - start) / bucketMs) + 1;
  const buckets: TimelineBucket[] = Array.from({ length: count }, (_, i) => ({ startMs: start + i * bucketMs, reads: {} }));
  for (const span of reads) {
    const bucket = buckets[Math.floor((span.startMs - start) / bucketMs)]!;
    const byResult = (bucket.reads[span.service] ??= {});
    const result = span.attributes['cache.result']!;
    byResult[result] = (byResult[result] ?? 0) + 1;
  }
  return { bucketMs, buckets };
}
