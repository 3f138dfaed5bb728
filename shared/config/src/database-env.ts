import { z } from 'zod';
import { envInt } from './primitives';

/**
 * How long a service lets one database call take (see PoolTimeouts in @cachelab/db, which turns
 * these into pool settings). Part of `serviceEnv`: every service has them, with these defaults.
 */
export const databaseEnv = z.object({
  /** Connecting, or waiting for a free pooled connection. */
  DB_CONNECT_TIMEOUT_MS: envInt(50, 600_000).default(2_000),
  /** Postgres cancels a statement running longer (statement_timeout). */
  DB_STATEMENT_TIMEOUT_MS: envInt(50, 3_600_000).default(5_000),
  /** The client gives up waiting for a reply (a network gone silent); unset: statement timeout + 1 s. */
  DB_QUERY_TIMEOUT_MS: envInt(50, 3_600_000).optional(),
  /** Postgres ends a session idle inside an open transaction (idle_in_transaction_session_timeout). */
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: envInt(50, 3_600_000).default(10_000),
});

export type DatabaseEnv = z.output<typeof databaseEnv>;
