import { PrismaPg } from '@prisma/adapter-pg';
import { DEFAULT_POOL_TIMEOUTS, type PoolTimeouts } from './pool-timeouts';

export interface PgAdapterOptions {
  /** Connections in this process's pool. Postgres' default limit is 100 for every process together. */
  poolSize?: number;
  /** Called when an idle pooled connection fails (Postgres restarted); the pool replaces it. */
  onPoolError?: (error: Error) => void;
  /** Connect, statement, reply and idle-in-transaction limits; DEFAULT_POOL_TIMEOUTS for what is not given. */
  timeouts?: Partial<PoolTimeouts>;
}

/**
 * The driver adapter every service gives its generated PrismaClient: Prisma over node-postgres, so
 * there is no query engine binary to download and OpenTelemetry's pg instrumentation sees every
 * query. `new PrismaClient({ adapter: pgAdapter(databaseUrl, options) })`.
 *
 * Every call is bounded (see PoolTimeouts): a Postgres that is down fails at connect, one that hangs
 * fails at the statement or reply timeout, and the error is one `isDatabaseUnavailable` recognises,
 * so the request answers 503 instead of hanging. A connection whose query timed out is discarded
 * by the pool rather than reused.
 */
export function pgAdapter(databaseUrl: string, options: PgAdapterOptions = {}): PrismaPg {
  const timeouts = { ...DEFAULT_POOL_TIMEOUTS, ...options.timeouts };
  return new PrismaPg(
    {
      connectionString: databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: timeouts.connectTimeoutMs,
      statement_timeout: timeouts.statementTimeoutMs,
      query_timeout: timeouts.queryTimeoutMs,
      idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
      idleTimeoutMillis: 30_000,
    },
    options.onPoolError ? { onPoolError: options.onPoolError } : undefined,
  );
}
