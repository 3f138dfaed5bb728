import { Client } from 'pg';

/**
 * Runs a seed script's `work` in one transaction that holds a Postgres advisory lock named
 * `lockName`: two seeders of one database at once (two terminals, a test and a demo) take turns
 * instead of colliding, and the second finds the first one's rows. Committed when `work`
 * resolves, rolled back when it throws. `ANALYZE` inside `work` counts the transaction's own rows.
 */
export async function seedTransaction<T>(databaseUrl: string, lockName: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockName]);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
