import { join } from 'node:path';
import { ensureDatabase, migrate } from '@cachelab/db';
import { Client } from 'pg';

/** The catalog's test database: DATABASE_URL, by default the native stack's `cachelab_catalog_test`. */
export const testDatabaseUrl =
  process.env.DATABASE_URL ?? 'postgresql://cachelab:cachelab@127.0.0.1:55432/cachelab_catalog_test';

export const schemaPath = join(__dirname, '..', '..', 'prisma', 'schema.prisma');
export const migrationsDir = join(__dirname, '..', '..', 'prisma', 'migrations');

const migrated = new Map<string, Promise<void>>();

/** Creates the database if needed and applies the migrations, once per database per test process. */
export async function migratedDatabase(databaseUrl: string = testDatabaseUrl): Promise<string> {
  let done = migrated.get(databaseUrl);
  if (done === undefined) {
    done = ensureDatabase(databaseUrl).then(async () => {
      await migrate({ databaseUrl, migrationsDir });
    });
    migrated.set(databaseUrl, done);
    done.catch(() => migrated.delete(databaseUrl));
  }
  await done;
  return databaseUrl;
}

/** Runs one statement on the test database (fixtures, and checks behind the service's back). */
export async function sql<T extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

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
