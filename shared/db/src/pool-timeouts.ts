import type { DatabaseEnv } from '@cachelab/config';

/**
 * How long the pool lets a database call take before giving up on it. Without them a hung
 * Postgres (a network that drops packets, a lock never released, a query that runs away) holds
 * the request, its pooled connection and everything queued behind them until the client
 * disconnects; with them the call fails in bounded time and the service answers 503.
 */
export interface PoolTimeouts {
  /** Connecting, or waiting for a free pooled connection (pg `connectionTimeoutMillis`). */
  connectTimeoutMs: number;
  /** Postgres cancels a statement running longer (`statement_timeout`, server side). */
  statementTimeoutMs: number;
  /**
   * The client gives up on a reply that does not come (pg `query_timeout`): covers what the server
   * cannot cancel, a network that took the query and went silent. A little longer than the
   * statement timeout, so that a merely slow statement is cancelled by the server first.
   */
  queryTimeoutMs: number;
  /** Postgres ends a session left idle inside an open transaction (`idle_in_transaction_session_timeout`). */
  idleInTransactionTimeoutMs: number;
}

/** The defaults of `databaseEnv` (@cachelab/config), for callers without a config. */
export const DEFAULT_POOL_TIMEOUTS: PoolTimeouts = {
  connectTimeoutMs: 2_000,
  statementTimeoutMs: 5_000,
  queryTimeoutMs: 6_000,
  idleInTransactionTimeoutMs: 10_000,
};

/**
 * The pool settings from a parsed config: DB_CONNECT_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS,
 * DB_QUERY_TIMEOUT_MS (default: the statement timeout + 1 s), DB_IDLE_IN_TRANSACTION_TIMEOUT_MS.
 * `createPrisma(url, { timeouts: poolTimeoutsFrom(config) })`.
 */
export function poolTimeoutsFrom(config: DatabaseEnv): PoolTimeouts {
  return {
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    queryTimeoutMs: config.DB_QUERY_TIMEOUT_MS ?? config.DB_STATEMENT_TIMEOUT_MS + 1_000,
    idleInTransactionTimeoutMs: config.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  };
}
