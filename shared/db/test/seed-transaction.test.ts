import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedTransaction } from '../src';
import { dropScratchDatabases, query, scratchDatabase } from './helpers';

let url: string;
beforeAll(async () => {
  url = await scratchDatabase();
  await query(url, 'CREATE TABLE seeded (n int)');
});
afterAll(dropScratchDatabases);

/** Resolves once a session waits for an advisory lock on this database (the second seeder). */
async function someoneWaitsForTheLock(): Promise<void> {
  const waiting = `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                   WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()`;
  for (let attempt = 0; attempt < 500; attempt++) {
    if ((await query<{ n: number }>(url, waiting))[0]!.n > 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('the second seeder never waited for the lock');
}

describe('seedTransaction', () => {
  it('makes a second seeder wait until the first has committed, then see its rows', async () => {
    await query(url, 'TRUNCATE seeded');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const firstHoldsLock = new Promise<void>((resolve) => (entered = resolve));

    const first = seedTransaction(url, 'test-seed', async (client) => {
      await client.query('INSERT INTO seeded VALUES (1)');
      entered();
      await gate;
    });
    await firstHoldsLock;
    const second = seedTransaction(url, 'test-seed', async (client) => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM seeded')).rows[0]!.n);
    await someoneWaitsForTheLock();
    release();

    await first;
    expect(await second).toBe(1);
  });

  it('rolls back what a failing seed wrote and lets the next one in', async () => {
    await query(url, 'TRUNCATE seeded');
    const failing = seedTransaction(url, 'test-seed', async (client) => {
      await client.query('INSERT INTO seeded VALUES (1)');
      throw new Error('seed bug');
    });
    await expect(failing).rejects.toThrow('seed bug');

    const count = await seedTransaction(url, 'test-seed', async (client) => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM seeded')).rows[0]!.n);
    expect(count).toBe(0);
  });
});
