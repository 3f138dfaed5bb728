import { join } from 'node:path';
import { testDatabase } from '@cachelab/testing';

/**
 * The catalog's test database (DATABASE_URL, by default the native stack's `cachelab_catalog_test`):
 * migratedDatabase() creates and migrates it once per test process; sql() runs one statement on it
 * (fixtures, and checks behind the service's back).
 */
export const { testDatabaseUrl, schemaPath, migrationsDir, migratedDatabase, sql } = testDatabase({
  database: 'cachelab_catalog_test',
  prismaDir: join(__dirname, '..', '..', 'prisma'),
});

let counter = 0;

/**
 * A category of its own for a test: tests never truncate (ids would restart and meet the row
 * versions their earlier runs left in Redis), they make fresh rows instead.
 */
export async function createCategory(name = 'Test category'): Promise<number> {
  const slug = `t-${process.pid}-${Date.now()}-${counter++}`;
  const [row] = await sql<{ id: number }>(`INSERT INTO "Category" (slug, name) VALUES ($1, $2) RETURNING id`, [slug, name]);
  return row!.id;
}

/** A SKU no other test (or earlier run) used. */
export const freshSku = (label = 'T') => `${label}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
