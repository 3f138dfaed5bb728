import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

export type Prisma = PrismaClient;

export interface PrismaOptions {
  /** Connections in this process's pool. Postgres' default limit is 100 for every process together. */
  poolSize?: number;
  /** Called when an idle pooled connection fails (Postgres restarted); the pool replaces it. */
  onPoolError?: (error: Error) => void;
}

/**
 * Prisma Client over node-postgres through the driver adapter: no query engine binary to
 * download, and OpenTelemetry's pg instrumentation sees every query.
 */
export function createPrisma(databaseUrl: string, options: PrismaOptions = {}): Prisma {
  const adapter = new PrismaPg(
    {
      connectionString: databaseUrl,
      max: options.poolSize ?? 10,
      // Fail fast when Postgres is down so /readyz answers instead of hanging.
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
    },
    options.onPoolError ? { onPoolError: options.onPoolError } : undefined,
  );
  return new PrismaClient({ adapter });
}
