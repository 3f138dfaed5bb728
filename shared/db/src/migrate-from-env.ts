import { loadConfig, type Env } from '@cachelab/config';
import { createLogger } from '@cachelab/telemetry';
import { z } from 'zod';
import { databaseName, ensureDatabase } from './database';
import { migrate } from './migrate';

export interface MigrateFromEnvOptions {
  /** The service's `prisma/migrations` folder. */
  migrationsDir: string;
  /** The service's name, for the logger: `user` logs as `user-migrate`. */
  service: string;
  env?: Env;
}

const migrateEnv = z.object({ DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgresql:// URL' }) });

/**
 * A service's `scripts/migrate.ts`: applies its migrations to DATABASE_URL, creating the database
 * first if needed. Offline: it does not need Prisma's schema engine, and `prisma migrate status`
 * reads the same history. A bad DATABASE_URL throws (synchronously) the ConfigError that names
 * it; a failed migration is logged and sets the exit code to 1.
 */
export function migrateFromEnv({ migrationsDir, service, env = process.env }: MigrateFromEnvOptions): Promise<void> {
  const { DATABASE_URL } = loadConfig(migrateEnv, env);
  const log = createLogger(`${service}-migrate`);
  const run = async () => {
    if (await ensureDatabase(DATABASE_URL)) log.info({ database: databaseName(DATABASE_URL) }, 'database created');
    const result = await migrate({ databaseUrl: DATABASE_URL, migrationsDir, logger: log });
    log.info({ applied: result.applied.length, alreadyApplied: result.alreadyApplied.length }, 'migrations up to date');
  };
  return run().catch((error: unknown) => {
    log.error({ err: error }, 'migration failed');
    process.exitCode = 1;
  });
}
