import { join } from 'node:path';
import { ensureDatabase, migrate } from '@cachelab/db';
import { Client } from 'pg';

const migrated = new Map<string, Promise<void>>();

/**
 * Creates the database if needed and applies the migrations of `migrationsDir`, once per database
 * per test process (the runner's advisory lock keeps parallel test files from racing). A failed
 * attempt is forgotten, so the next call tries again. Resolves with the URL.
 */
export async function migratedDatabase(databaseUrl: string, migrationsDir: string): Promise<string> {
  const key = `${databaseUrl}\n${migrationsDir}`;
  let done = migrated.get(key);
  if (done === undefined) {
    done = ensureDatabase(databaseUrl).then(async () => {
      await migrate({ databaseUrl, migrationsDir });
    });
    migrated.set(key, done);
    done.catch(() => migrated.delete(key));
  }
  await done;
  return databaseUrl;
}

/**
 * Empties every table the migrations made and restarts their id sequences. Test files that
 * truncate share one database: run them one file at a time (vitest `fileParallelism: false`).
 */
export async function truncateTables(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ name: string }>(
      `SELECT quote_ident(tablename) AS name FROM pg_tables
        WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations'`,
    );
    if (rows.length > 0) await client.query(`TRUNCATE ${rows.map((r) => r.name).join(', ')} RESTART IDENTITY CASCADE`);
  });
}

/** Runs one statement on its own connection (fixtures, and checks behind the service's back). */
export async function sql<T extends Record<string, unknown>>(databaseUrl: string, text: string, values: unknown[] = []): Promise<T[]> {
  return withClient(databaseUrl, async (client) => (await client.query<T>(text, values)).rows);
}

async function withClient<T>(databaseUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabaseOptions {
  /** The database used when DATABASE_URL is unset, on the native stack's Postgres: `cachelab_user_test`. */
  database: string;
  /** The service's `prisma` folder (schema.prisma and migrations/). */
  prismaDir: string;
}

/** One service's test database, with the helpers bound to it (each still takes another URL). */
export interface TestDatabase {
  /** DATABASE_URL, by default the native stack's `<database>`. */
  testDatabaseUrl: string;
  schemaPath: string;
  migrationsDir: string;
  migratedDatabase(databaseUrl?: string): Promise<string>;
  truncateTables(databaseUrl?: string): Promise<void>;
  sql<T extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
}

/** The native stack's Postgres (role cachelab), as infra/native runs it. */
const NATIVE_POSTGRES = 'postgresql://cachelab:cachelab@127.0.0.1:55432';

/**
 * A service's test database, to destructure into its `test/helpers/db.ts`:
 * `export const { testDatabaseUrl, migratedDatabase } = testDatabase({ database, prismaDir })`.
 */
export function testDatabase({ database, prismaDir }: TestDatabaseOptions): TestDatabase {
  const testDatabaseUrl = process.env.DATABASE_URL ?? `${NATIVE_POSTGRES}/${database}`;
  const migrationsDir = join(prismaDir, 'migrations');
  return {
    testDatabaseUrl,
    schemaPath: join(prismaDir, 'schema.prisma'),
    migrationsDir,
    migratedDatabase: (databaseUrl = testDatabaseUrl) => migratedDatabase(databaseUrl, migrationsDir),
    truncateTables: (databaseUrl = testDatabaseUrl) => truncateTables(databaseUrl),
    sql: <T extends Record<string, unknown>>(text: string, values?: unknown[]) => sql<T>(testDatabaseUrl, text, values),
  };
}
