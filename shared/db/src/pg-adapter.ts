import { PrismaPg } from '@prisma/adapter-pg';

export interface PgAdapterOptions {
  /** Connections in this process's pool. Postgres' default limit is 100 for every process together. */
  poolSize?: number;
  /** Called when an idle pooled connection fails (Postgres restarted); the pool replaces it. */
  onPoolError?: (error: Error) => void;
}

/**
 * The driver adapter every service gives its generated PrismaClient: Prisma over node-postgres, so
 * there is no query engine binary to download and OpenTelemetry's pg instrumentation sees every
 * query. `new PrismaClient({ adapter: pgAdapter(databaseUrl, options) })`.
 */
export function pgAdapter(databaseUrl: string, options: PgAdapterOptions = {}): PrismaPg {
  return new PrismaPg(
    {
      connectionString: databaseUrl,
      max: options.poolSize ?? 10,
      // Fail fast when Postgres is down so /readyz answers instead of hanging.
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
    },
    options.onPoolError ? { onPoolError: options.onPoolError } : undefined,
  );
}
