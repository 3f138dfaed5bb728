import { join } from 'node:path';
import { testDatabase } from '@cachelab/testing';

/**
 * The inventory service's test database (DATABASE_URL, by default the native stack's
 * `cachelab_inventory_test`): migratedDatabase() creates and migrates it once per test process,
 * truncateTables() empties it (test files that truncate run one at a time).
 */
export const { testDatabaseUrl, schemaPath, migrationsDir, migratedDatabase, truncateTables, sql } = testDatabase({
  database: 'cachelab_inventory_test',
  prismaDir: join(__dirname, '..', '..', 'prisma'),
});
