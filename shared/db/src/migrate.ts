import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { MigrationChecksumError, MigrationFailedError, UnfinishedMigrationError } from './errors';
import { readMigrationFiles, scriptMatchesChecksum, type MigrationFile } from './migration-files';

/** The subset of pino's logger the runner uses; `console` does not fit (argument order), pino does. */
export interface MigrationLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface MigrateOptions {
  databaseUrl: string;
  /** A Prisma migrations folder: `<timestamp>_<name>/migration.sql` per migration. */
  migrationsDir: string;
  logger?: MigrationLogger;
  /** How long to wait for another runner (or `prisma migrate`) to finish. Default 30 s. */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Migrations that were already applied. */
  alreadyApplied: string[];
}

/**
 * The key `prisma migrate` itself locks, so this runner and the real CLI also exclude each other.
 */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

// The table exactly as Prisma's schema engine creates it.
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies the pending migrations of `migrationsDir`, each in its own transaction, and records them
 * in `_prisma_migrations` the way `prisma migrate deploy` does, so the real CLI sees the same
 * history. Works offline: it needs neither Prisma's schema engine nor a shadow database.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const files = readMigrationFiles(options.migrationsDir);
  const client = new Client({ connectionString: options.databaseUrl });
  // A connection lost between queries is reported here; the next query then rejects with it.
  client.on('error', (error) => options.logger?.warn({ err: error }, 'migration connection failed'));
  await client.connect();
  try {
    // The lock is a session lock: ending the connection in `finally` releases it, even when a
    // query failed half-way.
    await acquireLock(client, options.lockTimeoutMs ?? 30_000);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const applied = await appliedMigrations(client);
    checkHistory(files, applied, options.logger);
    const result: MigrateResult = { applied: [], alreadyApplied: [] };
    for (const file of files) {
      if (applied.has(file.name)) {
        result.alreadyApplied.push(file.name);
        continue;
      }
      await applyOne(client, file);
      options.logger?.info({ migration: file.name }, 'migration applied');
      result.applied.push(file.name);
    }
    return result;
  } finally {
    await client.end();
  }
}

async function acquireLock(client: Client, timeoutMs: number): Promise<void> {
  // lock_timeout bounds the wait of pg_advisory_lock like any other heavyweight lock.
  await client.query(`SET lock_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') {
      throw new Error(`timed out after ${timeoutMs} ms waiting for the migration lock`, { cause: error });
    }
    throw error;
  } finally {
    await client.query('RESET lock_timeout');
  }
}

/** Successful migrations by name; throws on one that Prisma would consider failed. */
async function appliedMigrations(client: Client): Promise<Map<string, AppliedRow>> {
  const { rows } = await client.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at
       FROM "_prisma_migrations" ORDER BY started_at`,
  );
  const applied = new Map<string, AppliedRow>();
  for (const row of rows) {
    if (row.rolled_back_at !== null) continue;
    if (row.finished_at === null) throw new UnfinishedMigrationError(row.migration_name);
    applied.set(row.migration_name, row);
  }
  return applied;
}

function checkHistory(files: MigrationFile[], applied: Map<string, AppliedRow>, logger?: MigrationLogger): void {
  const byName = new Map(files.map((file) => [file.name, file]));
  for (const row of applied.values()) {
    const file = byName.get(row.migration_name);
    if (file === undefined) {
      logger?.warn({ migration: row.migration_name }, 'applied migration is missing from the migrations folder');
    } else if (!scriptMatchesChecksum(file.sql, row.checksum)) {
      throw new MigrationChecksumError(file.name, row.checksum, file.checksum);
    }
  }
}

async function applyOne(client: Client, file: MigrationFile): Promise<void> {
  const id = randomUUID();
  await client.query('BEGIN');
  try {
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 0)`,
      [id, file.checksum, file.name],
    );
    // No parameters: the simple query protocol runs a multi-statement script as one call.
    await client.query(file.sql);
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await client.query('COMMIT');
  } catch (error) {
    await recordRollback(client, id, file, error).catch(() => {
      // The connection is gone: the transaction died with it and there is nothing to record on.
    });
    throw new MigrationFailedError(file.name, error);
  }
}

// Recorded as Prisma records a rolled-back migration: `prisma migrate status` shows the attempt and
// its error, and the next deploy (ours or Prisma's) tries the migration again.
async function recordRollback(client: Client, id: string, file: MigrationFile, error: unknown): Promise<void> {
  await client.query('ROLLBACK');
  await client.query(
    `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, rolled_back_at, started_at)
     VALUES ($1, $2, $3, $4, now(), now())`,
    [id, file.checksum, file.name, error instanceof Error ? error.message : String(error)],
  );
}
