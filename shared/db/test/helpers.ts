import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createScratchDatabase, type ScratchDatabase } from '../src';

/**
 * The Postgres server the tests create their scratch databases on: that of DATABASE_URL (any
 * database on it), by default the native stack's. The role needs CREATEDB.
 */
export const serverUrl = process.env.DATABASE_URL ?? 'postgresql://cachelab:cachelab@127.0.0.1:55432/cachelab_user_test';

/** Scratch databases created through `scratchDatabase`, dropped by `dropScratchDatabases`. */
const created: ScratchDatabase[] = [];

export async function scratchDatabase(): Promise<string> {
  const db = await createScratchDatabase(serverUrl, 'cachelab_dbtest');
  created.push(db);
  return db.url;
}

export async function dropScratchDatabases(): Promise<void> {
  await Promise.all(created.splice(0).map((db) => db.drop()));
}

/** A migrations folder in a temporary directory: `{ '20260101000000_a': 'CREATE TABLE ...' }`. */
export function migrationsFolder(migrations: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cachelab-migrations-'));
  for (const [name, sql] of Object.entries(migrations)) writeMigration(dir, name, sql);
  return dir;
}

export function writeMigration(dir: string, name: string, sql: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'migration.sql'), sql);
}

export function removeFolder(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export async function query<R extends object>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
