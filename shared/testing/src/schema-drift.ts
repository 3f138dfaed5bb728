import { compareSchema, createScratchDatabase, formatDifference, type SchemaDifference } from '@cachelab/db';
import { migratedDatabase, sql } from './test-database';

/** How the database at `databaseUrl` differs from `schemaPath`, one line per difference: [] when it matches. */
export async function schemaDrift(databaseUrl: string, schemaPath: string): Promise<string[]> {
  return (await compareSchema({ databaseUrl, schemaPath })).map(formatDifference);
}

export interface DriftedSchemaOptions {
  /** A database on the server to make a scratch database on. */
  serverUrl: string;
  /** The scratch database's name prefix: `cachelab_user_scratch`. */
  prefix: string;
  migrationsDir: string;
  schemaPath: string;
  /** What breaks the migrated schema, run in order: `DROP INDEX "Order_userId_idx"`. */
  statements: string[];
}

/**
 * What the schema check reports on a scratch database that was migrated and then broken by
 * `statements`: the case that proves a schema test can fail. The scratch database is dropped
 * before this resolves.
 */
export async function driftedSchema(options: DriftedSchemaOptions): Promise<SchemaDifference[]> {
  const scratch = await createScratchDatabase(options.serverUrl, options.prefix);
  try {
    await migratedDatabase(scratch.url, options.migrationsDir);
    for (const statement of options.statements) await sql(scratch.url, statement);
    return await compareSchema({ databaseUrl: scratch.url, schemaPath: options.schemaPath });
  } finally {
    await scratch.drop();
  }
}
