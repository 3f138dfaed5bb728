import { join } from 'node:path';
import { ensureDatabase, migrate } from '@cachelab/db';
import { Client } from 'pg';

/** The inventory service's test database: DATABASE_URL, by default the native stack's `cachelab_inventory_test`. */
export const testDatabaseUrl =
  process.env.DATABASE_URL ?? 'postgresql://cachelab:cachelab@127.0.0.1:55432/cachelab_inventory_test';

export const schemaPath = join(__dirname, '..', '..', 'prisma', 'schema.prisma');
export const migrationsDir = join(__dirname, '..', '..', 'prisma', 'migrations');

const migrated = new Map<string, Promise<void>>();

/**
 * Creates the database if needed and applies the migrations, once per database per test process
 * (the runner's advisory lock keeps parallel test files from racing). Returns the URL.
 */
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

/**
 * Empties every table the migrations made and restarts their id sequences. Test files that
 * truncate share one database: run them one file at a time (vitest `fileParallelism: false`).
 */
export async function truncateTables(databaseUrl: string = testDatabaseUrl): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT quote_ident(tablename) AS name FROM pg_tables
        WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations'`,
    );
    if (rows.length > 0) await client.query(`TRUNCATE ${rows.map((r) => r.name).join(', ')} RESTART IDENTITY CASCADE`);
  } finally {
    await client.end();
  }
}
