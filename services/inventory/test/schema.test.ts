import { compareSchema, createScratchDatabase, formatDifference, type ScratchDatabase } from '@cachelab/db';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedDatabase, schemaPath, testDatabaseUrl } from './helpers/db';

describe('the inventory service migrations', () => {
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
      scratch = await createScratchDatabase(testDatabaseUrl, 'cachelab_inventory_scratch');
      await migratedDatabase(scratch.url);
      const client = new Client({ connectionString: scratch.url });
      await client.connect();
      try {
        await client.query('DROP INDEX "Reservation_orderId_sku_key"');
      } finally {
        await client.end();
      }
    });

    afterAll(async () => {
      await scratch?.drop();
    });

    it('the schema check reports the drift (the unique index that makes a reservation row idempotent)', async () => {
      const differences = await compareSchema({ databaseUrl: scratch.url, schemaPath });

      expect(differences).toEqual([
        { kind: 'unique', object: 'Reservation.Reservation_orderId_sku_key', expected: 'unique using btree (orderId, sku)', actual: 'missing' },
      ]);
    });
  });
});
