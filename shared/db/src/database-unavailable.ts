/**
 * Is this error "the database could not be reached or did not answer in time", as opposed to a
 * bug or a refusal (a constraint, bad SQL)? Requests that need Postgres answer the first kind
 * with 503 and Retry-After (http-kit's error handler asks this function), never 500.
 *
 * The same outage reaches the code in several forms, depending on where it struck:
 * - Prisma's known errors: P1001 can't reach the server, P1002/P1008 timed out, P1017 the server
 *   closed the connection, P2024 no free pooled connection in time; P2010 (a raw query failed)
 *   and the others carry the driver's own error in `meta.driverAdapterError`.
 * - The driver adapter's error kinds: DatabaseNotReachable, ConnectionClosed, SocketTimeout,
 *   TooManyConnections, or a Postgres SQLSTATE.
 * - node-postgres' own errors, passed through as they are: "Connection terminated unexpectedly",
 *   "Query read timeout" (query_timeout), "Connection terminated due to connection timeout"
 *   (connectionTimeoutMillis), "timeout exceeded when trying to connect" (a full pool).
 * - Socket errors (ECONNREFUSED, ECONNRESET, ...).
 * - SQLSTATEs: class 08 (connection exception), 57014 (statement timeout), 57P01-57P03 (the
 *   server is shutting down or starting), 53300 (too many connections), 25P03 (idle in
 *   transaction timeout).
 * The error, its `cause` chain and the adapter error inside Prisma's are all looked at.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return databaseFailureOf(error) !== undefined;
}

/** Why the database counts as unavailable (`unreachable` or `timeout`), undefined when it does not. */
export function databaseFailureOf(error: unknown): DatabaseFailure | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const next = queue.shift();
    if (next === null || typeof next !== 'object' || seen.has(next)) continue;
    seen.add(next);
    const failure = classify(next as ErrorLike);
    if (failure) return failure;
    const { cause, meta } = next as ErrorLike;
    queue.push(cause, meta?.driverAdapterError);
  }
  return undefined;
}

export type DatabaseFailure = 'unreachable' | 'timeout';

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  kind?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
}

const PRISMA_CODES: Record<string, DatabaseFailure> = {
  P1001: 'unreachable',
  P1002: 'timeout',
  P1008: 'timeout',
  P1017: 'unreachable',
  P2024: 'timeout',
};

const ADAPTER_KINDS: Record<string, DatabaseFailure> = {
  DatabaseNotReachable: 'unreachable',
  ConnectionClosed: 'unreachable',
  SocketTimeout: 'timeout',
  TooManyConnections: 'unreachable',
};

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

const SQLSTATES: Record<string, DatabaseFailure> = {
  '57014': 'timeout', // query_canceled: statement_timeout
  '25P03': 'timeout', // idle_in_transaction_session_timeout
  '57P01': 'unreachable', // admin_shutdown
  '57P02': 'unreachable', // crash_shutdown
  '57P03': 'unreachable', // cannot_connect_now (starting up)
  '53300': 'unreachable', // too_many_connections
};

const PG_MESSAGES: Array<[RegExp, DatabaseFailure]> = [
  [/^Query read timeout$/, 'timeout'],
  [/^Connection terminated due to connection timeout$/, 'timeout'],
  [/^timeout exceeded when trying to connect$/, 'timeout'],
  [/^Connection terminated( unexpectedly)?$/, 'unreachable'],
  [/^Client has encountered a connection error and is not queryable$/, 'unreachable'],
  [/^Client was closed and is not queryable$/, 'unreachable'],
];

function classify(error: ErrorLike): DatabaseFailure | undefined {
  if (error.name === 'PrismaClientInitializationError') return 'unreachable';
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code) {
    const failure = PRISMA_CODES[code] ?? SQLSTATES[code] ?? (code.startsWith('08') && code.length === 5 ? 'unreachable' : undefined);
    if (failure) return failure;
    if (SOCKET_CODES.has(code)) return code === 'ETIMEDOUT' ? 'timeout' : 'unreachable';
  }
  if (typeof error.kind === 'string' && ADAPTER_KINDS[error.kind]) return ADAPTER_KINDS[error.kind];
  if (typeof error.message === 'string') {
    for (const [pattern, failure] of PG_MESSAGES) if (pattern.test(error.message)) return failure;
  }
  return undefined;
}
