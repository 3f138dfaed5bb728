import { compareSchema, createScratchDatabase, formatDifference, type ScratchDatabase } from '@cachelab/db';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedDatabase, schemaPath, testDatabaseUrl } from './helpers/db';

describe('the user service migrations', () => {
  beforeAll(async () => {
    await migratedDatabase();
  });

  it('build exactly the schema in prisma/schema.prisma', async () => {
    const differences = await compareSchema({ databaseUrl: testDatabaseUrl, schemaPath });

    expect(differences.map(formatDifference)).toEqual([]);
  });

  describe('on a database that drifted from them', () => {
    let scratch: ScratchDatabase;

    beforeAll(async () => {
      scratch = await createScratchDatabase(testDatabaseUrl, 'cachelab_user_scratch');
      await migratedDatabase(scratch.url);
      const client = new Client({ connectionString: scratch.url });
      await client.connect();
      try {
        await client.query('ALTER TABLE "Order" ALTER COLUMN "category" TYPE VARCHAR(64)');
        await client.query('DROP INDEX "Order_userId_idx"');
      } finally {
        await client.end();
      }
    });

    afterAll(async () => {
      await scratch?.drop();
    });

    it('the schema check reports the drift', async () => {
      const differences = await compareSchema({ databaseUrl: scratch.url, schemaPath });

      expect(differences).toEqual([
        { kind: 'type', object: 'Order.category', expected: 'character varying(32)', actual: 'character varying(64)' },
        { kind: 'index', object: 'Order.Order_userId_idx', expected: 'index using btree (userId)', actual: 'missing' },
      ]);
    });
  });
});
