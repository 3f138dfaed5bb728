import { driftedSchema, schemaDrift } from '@cachelab/testing';
import { describe, expect, it } from 'vitest';
import { migratedDatabase, migrationsDir, schemaPath, testDatabaseUrl } from './helpers/db';

describe('the catalog service migrations', () => {
  it('build exactly the schema in prisma/schema.prisma', async () => {
    expect(await schemaDrift(await migratedDatabase(), schemaPath)).toEqual([]);
  });

  describe('on a database that drifted from them', () => {
    it('the schema check reports the drift (the index that serves category listings)', async () => {
      const differences = await driftedSchema({
        serverUrl: testDatabaseUrl,
        prefix: 'cachelab_catalog_scratch',
        migrationsDir,
        schemaPath,
        statements: ['DROP INDEX "Product_categoryId_name_id_idx"'],
      });

      expect(differences).toEqual([
        { kind: 'index', object: 'Product.Product_categoryId_name_id_idx', expected: 'index using btree (categoryId, name, id)', actual: 'missing' },
      ]);
    });
  });
});
