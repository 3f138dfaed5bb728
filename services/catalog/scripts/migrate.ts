import { join } from 'node:path';
import { loadConfig } from '@cachelab/config';
import { databaseName, ensureDatabase, migrate } from '@cachelab/db';
import { createLogger } from '@cachelab/telemetry';
import { z } from 'zod';

// Applies prisma/migrations to DATABASE_URL, creating the database first if needed. Offline: it
// does not need Prisma's schema engine, and `prisma migrate status` reads the same history.
const env = loadConfig(
  z.object({ DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgresql:// URL' }) }),
);
const log = createLogger('catalog-migrate');

async function main(): Promise<void> {
  if (await ensureDatabase(env.DATABASE_URL)) log.info({ database: databaseName(env.DATABASE_URL) }, 'database created');
  const result = await migrate({
    databaseUrl: env.DATABASE_URL,
    migrationsDir: join(__dirname, '..', 'prisma', 'migrations'),
    logger: log,
  });
  log.info({ applied: result.applied.length, alreadyApplied: result.alreadyApplied.length }, 'migrations up to date');
}

main().catch((error: unknown) => {
  log.error({ err: error }, 'migration failed');
  process.exitCode = 1;
});
