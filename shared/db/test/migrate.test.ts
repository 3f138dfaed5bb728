import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { migrate, MigrationChecksumError, MigrationFailedError, PRISMA_MIGRATE_LOCK_KEY } from '../src';
import { dropScratchDatabases, migrationsFolder, query, removeFolder, scratchDatabase, writeMigration } from './helpers';

const folders: string[] = [];
function folder(migrations: Record<string, string>): string {
  const dir = migrationsFolder(migrations);
  folders.push(dir);
  return dir;
}

afterEach(() => folders.splice(0).forEach(removeFolder));
afterAll(dropScratchDatabases);

const TWO_MIGRATIONS = {
  '20260101000000_create_widget': 'CREATE TABLE "Widget" ("id" SERIAL NOT NULL, CONSTRAINT "Widget_pkey" PRIMARY KEY ("id"));\n',
  '20260102000000_add_name': 'ALTER TABLE "Widget" ADD COLUMN "name" TEXT;\n',
};

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
  logs: string | null;
  applied_steps_count: number;
}

const history = (url: string) =>
  query<MigrationRow>(url, 'SELECT * FROM "_prisma_migrations" ORDER BY started_at, migration_name');

describe('migrate', () => {
  it('applies migrations in name order and records them as prisma migrate deploy does', async () => {
    const url = await scratchDatabase();
    // Written out of order on purpose: the folder name decides the order, not the file system.
    const dir = folder({
      '20260102000000_add_name': TWO_MIGRATIONS['20260102000000_add_name'],
      '20260101000000_create_widget': TWO_MIGRATIONS['20260101000000_create_widget'],
    });

    const result = await migrate({ databaseUrl: url, migrationsDir: dir });

    expect(result).toEqual({ applied: ['20260101000000_create_widget', '20260102000000_add_name'], alreadyApplied: [] });
    const rows = await history(url);
    expect(rows.map((r) => r.migration_name)).toEqual(result.applied);
    for (const row of rows) {
      const sql = readFileSync(join(dir, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
    const columns = await query<{ column_name: string }>(
      url,
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'Widget' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(['id', 'name']);
  });

  it('is a no-op the second time', async () => {
    const url = await scratchDatabase();
    const dir = folder(TWO_MIGRATIONS);
    await migrate({ databaseUrl: url, migrationsDir: dir });
    const before = await history(url);

    const again = await migrate({ databaseUrl: url, migrationsDir: dir });

    expect(again).toEqual({ applied: [], alreadyApplied: Object.keys(TWO_MIGRATIONS) });
    expect(await history(url)).toEqual(before);
  });

  it('applies only the migrations added since the last run', async () => {
    const url = await scratchDatabase();
    const dir = folder({ '20260101000000_create_widget': TWO_MIGRATIONS['20260101000000_create_widget'] });
    await migrate({ databaseUrl: url, migrationsDir: dir });
    writeMigration(dir, '20260102000000_add_name', TWO_MIGRATIONS['20260102000000_add_name']);

    const result = await migrate({ databaseUrl: url, migrationsDir: dir });

    expect(result).toEqual({ applied: ['20260102000000_add_name'], alreadyApplied: ['20260101000000_create_widget'] });
  });

  it('refuses to run when an applied migration was edited, and applies nothing', async () => {
    const url = await scratchDatabase();
    const dir = folder({ '20260101000000_create_widget': TWO_MIGRATIONS['20260101000000_create_widget'] });
    await migrate({ databaseUrl: url, migrationsDir: dir });
    writeFileSync(join(dir, '20260101000000_create_widget', 'migration.sql'), 'CREATE TABLE "Widget" ("id" BIGSERIAL);\n');
    writeMigration(dir, '20260102000000_add_name', TWO_MIGRATIONS['20260102000000_add_name']);

    const run = migrate({ databaseUrl: url, migrationsDir: dir });

    await expect(run).rejects.toBeInstanceOf(MigrationChecksumError);
    await expect(run).rejects.toThrow(/20260101000000_create_widget was modified after it was applied/);
    expect((await history(url)).map((r) => r.migration_name)).toEqual(['20260101000000_create_widget']);
  });

  it('accepts an applied migration whose line endings git converted', async () => {
    const url = await scratchDatabase();
    const sql = 'CREATE TABLE "Widget" (\n    "id" SERIAL NOT NULL\n);\n';
    const dir = folder({ '20260101000000_create_widget': sql });
    await migrate({ databaseUrl: url, migrationsDir: dir });
    writeFileSync(join(dir, '20260101000000_create_widget', 'migration.sql'), sql.replace(/\n/g, '\r\n'));

    const result = await migrate({ databaseUrl: url, migrationsDir: dir });

    expect(result.alreadyApplied).toEqual(['20260101000000_create_widget']);
  });

  it('rolls a failing migration back whole, records the attempt, and retries it once fixed', async () => {
    const url = await scratchDatabase();
    const dir = folder({
      '20260101000000_create_widget': TWO_MIGRATIONS['20260101000000_create_widget'],
      // The first statement succeeds, the second fails: the transaction must undo both.
      '20260102000000_broken': 'CREATE TABLE "Gadget" ("id" INTEGER);\nALTER TABLE "Nope" ADD COLUMN "x" INTEGER;\n',
    });

    const run = migrate({ databaseUrl: url, migrationsDir: dir });

    await expect(run).rejects.toBeInstanceOf(MigrationFailedError);
    await expect(run).rejects.toThrow(/20260102000000_broken failed and was rolled back: relation "Nope" does not exist/);
    expect(await query(url, `SELECT 1 FROM pg_class WHERE relname = 'Gadget'`)).toEqual([]);
    const failed = (await history(url)).filter((r) => r.migration_name === '20260102000000_broken');
    expect(failed).toEqual([
      expect.objectContaining({
        rolled_back_at: expect.any(Date),
        finished_at: null,
        logs: expect.stringMatching(/relation "Nope" does not exist/),
      }),
    ]);

    writeFileSync(join(dir, '20260102000000_broken', 'migration.sql'), 'CREATE TABLE "Gadget" ("id" INTEGER);\n');
    const fixed = await migrate({ databaseUrl: url, migrationsDir: dir });

    expect(fixed.applied).toEqual(['20260102000000_broken']);
  });

  it('applies each migration once when runners race on a fresh database', async () => {
    const url = await scratchDatabase();
    const dir = folder({
      ...TWO_MIGRATIONS,
      // Each application leaves a row: a migration applied twice would leave two. The pause
      // holds the lock long enough that the other runners are certainly waiting for it.
      '20260103000000_log': 'CREATE TABLE "applied" ("at" TIMESTAMPTZ DEFAULT clock_timestamp());\nINSERT INTO "applied" DEFAULT VALUES;\nSELECT pg_sleep(0.2);\n',
    });

    const results = await Promise.all(Array.from({ length: 6 }, () => migrate({ databaseUrl: url, migrationsDir: dir })));

    const applied = results.flatMap((r) => r.applied).sort();
    expect(applied).toEqual(Object.keys({ ...TWO_MIGRATIONS, '20260103000000_log': '' }).sort());
    expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
    expect(await query(url, 'SELECT * FROM "applied"')).toHaveLength(1);
    expect(await history(url)).toHaveLength(3);
  });

  it('gives up after lockTimeoutMs while another migrator holds the lock', async () => {
    const url = await scratchDatabase();
    const dir = folder(TWO_MIGRATIONS);
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);

      await expect(migrate({ databaseUrl: url, migrationsDir: dir, lockTimeoutMs: 300 })).rejects.toThrow(
        /timed out after 300 ms waiting for the migration lock/,
      );
    } finally {
      await holder.end();
    }
    // Released with the holder's session: the next run proceeds.
    expect((await migrate({ databaseUrl: url, migrationsDir: dir })).applied).toHaveLength(2);
  });

  it('refuses migrations written for another provider', async () => {
    const url = await scratchDatabase();
    const dir = folder(TWO_MIGRATIONS);
    writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "mysql"\n');

    await expect(migrate({ databaseUrl: url, migrationsDir: dir })).rejects.toThrow(/provider "mysql", not postgresql/);
  });
});
