import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareSchema, formatDifference, migrate, type SchemaDifference } from '../src';
import { dropScratchDatabases, query, scratchDatabase } from './helpers';

const schemaPath = join(__dirname, 'fixtures', 'prisma', 'schema.prisma');
const migrationsDir = join(__dirname, 'fixtures', 'prisma', 'migrations');

afterAll(dropScratchDatabases);

async function migratedDatabase(): Promise<string> {
  const url = await scratchDatabase();
  await migrate({ databaseUrl: url, migrationsDir });
  return url;
}

describe('compareSchema', () => {
  it('finds nothing when the migrations build what the schema describes', async () => {
    const url = await migratedDatabase();

    const differences = await compareSchema({ databaseUrl: url, schemaPath });

    expect(differences.map(formatDifference)).toEqual([]);
  });

  it('reports every table of the schema as missing on an empty database', async () => {
    const url = await scratchDatabase();

    const differences = await compareSchema({ databaseUrl: url, schemaPath });

    expect(differences).toEqual([
      { kind: 'table', object: 'accounts', expected: 'table', actual: 'missing' },
      { kind: 'table', object: 'Post', expected: 'table', actual: 'missing' },
    ]);
  });

  // Each drift, made by hand on a correctly migrated database, is reported as exactly one difference.
  const drifts: Array<[string, string, SchemaDifference]> = [
    [
      'a column type',
      'ALTER TABLE "Post" ALTER COLUMN "title" TYPE VARCHAR(100)',
      { kind: 'type', object: 'Post.title', expected: 'text', actual: 'character varying(100)' },
    ],
    [
      'nullability',
      'ALTER TABLE "accounts" ALTER COLUMN "bio" SET NOT NULL',
      { kind: 'nullability', object: 'accounts.bio', expected: 'NULL', actual: 'NOT NULL' },
    ],
    [
      'a dropped default',
      'ALTER TABLE "Post" ALTER COLUMN "published" DROP DEFAULT',
      { kind: 'default', object: 'Post.published', expected: 'a default', actual: 'no default' },
    ],
    [
      'a missing column',
      'ALTER TABLE "Post" DROP COLUMN "meta"',
      { kind: 'column', object: 'Post.meta', expected: 'jsonb NULL with no default', actual: 'missing' },
    ],
    [
      'an extra column',
      'ALTER TABLE "Post" ADD COLUMN "extra" INTEGER',
      { kind: 'column', object: 'Post.extra', expected: 'absent', actual: 'integer NULL with no default' },
    ],
    [
      'a missing unique index',
      'DROP INDEX "accounts_handle_name_key"',
      {
        kind: 'unique',
        object: 'accounts.accounts_handle_name_key',
        expected: 'unique using btree (handle_name)',
        actual: 'missing',
      },
    ],
    [
      'an index sort order',
      'DROP INDEX "Post_createdAt_idx"; CREATE INDEX "Post_createdAt_idx" ON "Post"("createdAt")',
      {
        kind: 'index',
        object: 'Post.Post_createdAt_idx',
        expected: 'index using btree (createdAt DESC)',
        actual: 'index using btree (createdAt)',
      },
    ],
    [
      'an index method',
      'DROP INDEX "Post_title_idx"; CREATE INDEX "Post_title_idx" ON "Post"("title")',
      {
        kind: 'index',
        object: 'Post.Post_title_idx',
        expected: 'index using hash (title)',
        actual: 'index using btree (title)',
      },
    ],
    [
      'a missing primary key',
      'ALTER TABLE "Post" DROP CONSTRAINT "Post_pkey"',
      { kind: 'primary key', object: 'Post.Post_pkey', expected: 'primary key using btree (id)', actual: 'missing' },
    ],
    [
      'a foreign key action',
      `ALTER TABLE "Post" DROP CONSTRAINT "Post_accountId_fkey";
       ALTER TABLE "Post" ADD CONSTRAINT "Post_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE`,
      {
        kind: 'foreign key',
        object: 'Post.Post_accountId_fkey',
        expected: '(accountId) references accounts(id) on delete SetNull on update Cascade',
        actual: '(accountId) references accounts(id) on delete Cascade on update Cascade',
      },
    ],
    [
      'an extra table',
      'CREATE TABLE "Stray" ("id" INTEGER)',
      { kind: 'table', object: 'Stray', expected: 'absent', actual: 'table' },
    ],
    [
      'a missing table',
      'DROP TABLE "Post"',
      { kind: 'table', object: 'Post', expected: 'table', actual: 'missing' },
    ],
  ];

  it.each(drifts)('reports %s', async (_what, alter, difference) => {
    const url = await migratedDatabase();
    await query(url, alter);

    const differences = await compareSchema({ databaseUrl: url, schemaPath });

    expect(differences).toEqual([difference]);
  });
});
