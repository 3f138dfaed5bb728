import { migratedDatabase, sql } from '../helpers/db';

export default async function setup(): Promise<void> {
  await migratedDatabase();
  // Tests never truncate (see createCategory); rows of runs older than a day go, so that the test
  // database (and the Bloom filter every test instance builds from it) stays small.
  await sql(`DELETE FROM "Product" WHERE "createdAt" < now() - interval '1 day'`);
  await sql(`DELETE FROM "Category" c WHERE NOT EXISTS (SELECT 1 FROM "Product" p WHERE p."categoryId" = c.id) AND c.slug LIKE 't-%'`);
  await sql(`DELETE FROM "CacheRepair" WHERE "recordedAt" < now() - interval '1 day'`);
}
