import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '@cachelab/config';
import { dropDatabase, migrateFromEnv } from '../src';
import { migrationsFolder, query, removeFolder, serverUrl } from './helpers';

const WIDGET = { '20260101000000_create_widget': 'CREATE TABLE "Widget" ("id" SERIAL NOT NULL, CONSTRAINT "Widget_pkey" PRIMARY KEY ("id"));\n' };

/** A database URL on the test server whose database does not exist yet (dropped after the file). */
const created: string[] = [];
function newDatabaseUrl(): string {
  const url = new URL(serverUrl);
  url.pathname = `/cachelab_dbtest_env_${randomBytes(6).toString('hex')}`;
  created.push(url.toString());
  return url.toString();
}

const folders: string[] = [];
const folder = (migrations: Record<string, string>) => {
  const dir = migrationsFolder(migrations);
  folders.push(dir);
  return dir;
};

beforeEach(() => {
  vi.stubEnv('LOG_LEVEL', 'silent');
});
afterEach(() => {
  vi.unstubAllEnvs();
  process.exitCode = undefined;
  folders.splice(0).forEach(removeFolder);
});
afterAll(async () => {
  await Promise.all(created.map(dropDatabase));
});

describe('migrateFromEnv', () => {
  it('creates the database of DATABASE_URL, applies the migrations and leaves the exit code alone', async () => {
    const url = newDatabaseUrl();

    await migrateFromEnv({ service: 'test', migrationsDir: folder(WIDGET), env: { DATABASE_URL: url } });

    expect(await query(url, 'SELECT count(*)::int AS n FROM "Widget"')).toEqual([{ n: 0 }]);
    expect(process.exitCode).toBeUndefined();
  });

  it('sets exit code 1 when a migration fails, without throwing', async () => {
    const url = newDatabaseUrl();

    await migrateFromEnv({ service: 'test', migrationsDir: folder({ '20260101000000_bad': 'CREATE TABLE;\n' }), env: { DATABASE_URL: url } });

    expect(process.exitCode).toBe(1);
  });

  it('throws the ConfigError naming DATABASE_URL when it is missing or not a postgres URL, at once', () => {
    for (const env of [{}, { DATABASE_URL: 'mysql://localhost/x' }]) {
      expect(() => migrateFromEnv({ service: 'test', migrationsDir: folder(WIDGET), env })).toThrow(ConfigError);
      expect(() => migrateFromEnv({ service: 'test', migrationsDir: folder(WIDGET), env })).toThrow(/DATABASE_URL/);
    }
  });
});
