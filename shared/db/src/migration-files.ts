import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MigrationFile {
  /** The directory name, `<timestamp>_<name>`: what `_prisma_migrations.migration_name` holds. */
  name: string;
  sql: string;
  checksum: string;
}

/** Prisma's checksum: the hex SHA-256 of the script exactly as it is on disk. */
export function checksumOf(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

/**
 * Prisma also accepts a checksum taken before git converted the file's line endings, so that a
 * checkout on Windows does not look like an edited migration. Do the same.
 */
export function scriptMatchesChecksum(script: string, checksum: string): boolean {
  const lf = script.replace(/\r\n/g, '\n');
  return [script, lf, lf.replace(/\n/g, '\r\n')].some((variant) => checksumOf(variant) === checksum);
}

/** The migrations in `dir`, in the order Prisma applies them (by directory name). */
export function readMigrationFiles(dir: string): MigrationFile[] {
  assertPostgresLock(dir);
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => {
    const file = join(dir, name, 'migration.sql');
    if (!existsSync(file)) throw new Error(`migration ${name} has no migration.sql (${file})`);
    const sql = readFileSync(file, 'utf8');
    return { name, sql, checksum: checksumOf(sql) };
  });
}

// Prisma refuses to deploy migrations written for another provider; so do we.
function assertPostgresLock(dir: string): void {
  const lockFile = join(dir, 'migration_lock.toml');
  if (!existsSync(lockFile)) return;
  const provider = /^\s*provider\s*=\s*"([^"]+)"/m.exec(readFileSync(lockFile, 'utf8'))?.[1];
  if (provider !== undefined && provider !== 'postgresql') {
    throw new Error(`${lockFile} is for provider "${provider}", not postgresql`);
  }
}
