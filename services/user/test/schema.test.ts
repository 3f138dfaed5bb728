import { driftedSchema, schemaDrift } from '@cachelab/testing';
import { describe, expect, it } from 'vitest';
import { migratedDatabase, migrationsDir, schemaPath, testDatabaseUrl } from './helpers/db';

describe('the user service migrations', () => {
  it('build exactly the schema in prisma/schema.prisma', async () => {
    expect(await schemaDrift(await migratedDatabase(), schemaPath)).toEqual([]);
  });

  describe('on a database that drifted from them', () => {
    it('the schema check reports the drift', async () => {
      const differences = await driftedSchema({
        serverUrl: testDatabaseUrl,
        prefix: 'cachelab_user_scratch',
        migrationsDir,
        schemaPath,
        statements: ['ALTER TABLE "Order" ALTER COLUMN "category" TYPE VARCHAR(64)', 'DROP INDEX "Order_userId_idx"'],
      });

      expect(differences).toEqual([
        { kind: 'type', object: 'Order.category', expected: 'character varying(32)', actual: 'character varying(64)' },
        { kind: 'index', object: 'Order.Order_userId_idx', expected: 'index using btree (userId)', actual: 'missing' },
      ]);
    });
  });
});
