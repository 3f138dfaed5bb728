import { driftedSchema, schemaDrift } from '@cachelab/testing';
import { describe, expect, it } from 'vitest';
import { migratedDatabase, migrationsDir, schemaPath, testDatabaseUrl } from './helpers/db';

describe('the inventory service migrations', () => {
  it('build exactly the schema in prisma/schema.prisma', async () => {
    expect(await schemaDrift(await migratedDatabase(), schemaPath)).toEqual([]);
  });

  describe('on a database that drifted from them', () => {
    it('the schema check reports the drift (the unique index that makes a reservation row idempotent)', async () => {
      const differences = await driftedSchema({
        serverUrl: testDatabaseUrl,
        prefix: 'cachelab_inventory_scratch',
        migrationsDir,
        schemaPath,
        statements: ['DROP INDEX "Reservation_orderId_sku_key"'],
      });

      expect(differences).toEqual([
        { kind: 'unique', object: 'Reservation.Reservation_orderId_sku_key', expected: 'unique using btree (orderId, sku)', actual: 'missing' },
      ]);
    });
  });
});
