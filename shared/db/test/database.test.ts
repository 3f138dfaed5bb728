import { Client } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseName, dropDatabase, ensureDatabase } from '../src';
import { query, serverUrl } from './helpers';

const created: string[] = [];
afterAll(() => Promise.all(created.map(dropDatabase)));

function newDatabaseUrl(): string {
  const url = new URL(serverUrl);
  url.pathname = `/cachelab_dbtest_ensure_${process.pid}_${created.length}`;
  created.push(url.toString());
  return url.toString();
}

const exists = async (url: string) =>
  (await query(serverUrl, 'SELECT 1 FROM pg_database WHERE datname = $1', [databaseName(url)])).length === 1;

describe('ensureDatabase', () => {
  it('creates a missing database once', async () => {
    const url = newDatabaseUrl();

    expect(await ensureDatabase(url)).toBe(true);
    expect(await ensureDatabase(url)).toBe(false);
    expect(await exists(url)).toBe(true);
  });

  it('creates it exactly once when callers race', async () => {
    const url = newDatabaseUrl();

    const results = await Promise.all(Array.from({ length: 5 }, () => ensureDatabase(url)));

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await exists(url)).toBe(true);
  });

  it('drops a database even while someone is connected to it', async () => {
    const url = newDatabaseUrl();
    await ensureDatabase(url);
    const connected = new Client({ connectionString: url });
    connected.on('error', () => undefined); // the server will cut this session
    await connected.connect();

    await dropDatabase(url);

    expect(await exists(url)).toBe(false);
    await connected.end().catch(() => undefined);
  });
});
