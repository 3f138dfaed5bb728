import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Creates the database named in `databaseUrl` when it does not exist. Resolves true if it created it. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const name = databaseName(databaseUrl);
  return withMaintenanceClient(databaseUrl, async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount !== 0) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
      return true;
    } catch (error) {
      // Another process created it between our check and our CREATE: 42P04 duplicate_database,
      // or 23505 when both inserts reached pg_database's unique index at once.
      const code = (error as { code?: string }).code;
      if (code === '42P04' || code === '23505') return false;
      throw error;
    }
  });
}

/** Drops the database named in `databaseUrl`, disconnecting its sessions. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const name = databaseName(databaseUrl);
  await withMaintenanceClient(databaseUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
  );
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A new empty database on the server of `serverUrl`, for a test that needs one of its own (to
 * break its schema, or to race migration runners on it). The caller drops it.
 */
export async function createScratchDatabase(serverUrl: string, prefix = 'cachelab_scratch'): Promise<ScratchDatabase> {
  const url = new URL(serverUrl);
  url.pathname = `/${prefix}_${randomBytes(6).toString('hex')}`;
  const scratchUrl = url.toString();
  await ensureDatabase(scratchUrl);
  return { url: scratchUrl, drop: () => dropDatabase(scratchUrl) };
}

export function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (name === '') throw new Error(`database URL names no database: ${redact(databaseUrl)}`);
  return name;
}

/** Runs `fn` connected to the server's `postgres` database, the one that always exists. */
async function withMaintenanceClient<T>(databaseUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function redact(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.password !== '') url.password = '***';
  return url.toString();
}
