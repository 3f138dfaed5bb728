import { compareSchema, formatDifference } from '@cachelab/db';
import { beforeAll, describe, expect, it } from 'vitest';
import { migratedDatabase, schemaPath, testDatabaseUrl } from './helpers/db';

describe('the catalog service migrations', () => {
  beforeAll(async () => {
    await migratedDatabase();
  });

  it('build exactly the schema in prisma/schema.prisma', async () => {
    const differences = await compareSchema({ databaseUrl: testDatabaseUrl, schemaPath });
    expect(differences.map(formatDifference)).toEqual([]);
  });
});
