import { nameIs, nameStarts, type Span } from './span';

/**
 * What each span is, read from its name and attributes. The names are those of
 * shared/telemetry's conventions (docs/architecture.md, "Traces"), the auto-instrumentations'
 * (ioredis, pg) and Prisma's.
 */

/** A cached operation: a pattern step that says what the cache did (`cache.pattern` and `cache.result`). */
export const isOperation = (span: Span): boolean =>
  span.attributes['cache.pattern'] !== undefined && span.attributes['cache.result'] !== undefined;

/** The results of a cached read (the `x-cache` values); the rest (`written`, `invalidated`, ...) are write steps. */
export const READ_RESULTS = ['hit', 'miss', 'stale', 'negative', 'coalesced', 'bypass'] as const;
const readResults: ReadonlySet<string> = new Set(READ_RESULTS);
export const isReadResult = (result: string): boolean => readResults.has(result);
/** Answered without an origin load of the request's own. */
export const isCacheAnswer = (result: string): boolean => result !== 'miss' && result !== 'bypass' && readResults.has(result);

/** The loader ran: one trip to the origin (a database query or an aggregate). */
export const isOriginLoad = (span: Span): boolean => nameIs(span, 'cache.origin.load');

const systemOf = (span: Span): string | undefined => span.attributes['db.system.name'] ?? span.attributes['db.system'];

/** One command sent to Redis (ioredis instrumentation); its connection spans are not round trips. */
export const isRedisCall = (span: Span): boolean =>
  systemOf(span) === 'redis' && !nameIs(span, 'connect') && span.attributes['db.query.text'] !== 'connect' && span.attributes['db.statement'] !== 'connect';

/**
 * One call of the application into its ORM (a Prisma operation: `findUnique`, `$queryRaw`, ...), what
 * the services' `cachelab_origin_queries_total` counts. Prisma folds identical `findUnique` calls
 * made in the same tick into one SQL statement, so there may be more of these than statements.
 */
export const isDbCall = (span: Span): boolean => nameIs(span, 'prisma:client:operation');

/** One SQL statement through pg (Prisma 7's driver adapter goes through pg too). */
export const isPgQuery = (span: Span): boolean => nameStarts(span, 'pg.query');
/** Prisma's own query span, counted only where no pg span is seen (a Prisma without the pg adapter). */
export const isPrismaQuery = (span: Span): boolean => nameIs(span, 'prisma:client:db_query') || nameIs(span, 'prisma:engine:db_query');

/**
 * A span of a client library (Prisma, pg, ioredis) with no parent: a readiness probe's query or a
 * connection opened at start, not work of the application's.
 */
export const isLibrarySpan = (span: Span): boolean =>
  nameStarts(span, 'prisma:') || nameStarts(span, 'pg.') || nameStarts(span, 'pg-pool.') || systemOf(span) !== undefined;

/** Time spent waiting for another loader's lease (stampede protection). */
export const isLockWait = (span: Span): boolean => nameIs(span, 'cache.lock.wait');
export function lockWaitMs(span: Span): number {
  const recorded = Number(span.attributes['cache.lock.wait_ms']);
  return Number.isFinite(recorded) && span.attributes['cache.lock.wait_ms'] !== undefined ? recorded : span.durationMs;
}

/** A failed span: status ERROR, or an HTTP answer of 5xx. */
export function failed(span: Span): boolean {
  const status = Number(span.attributes['http.response.status_code'] ?? span.attributes['http.status_code']);
  return span.error || status >= 500;
}
