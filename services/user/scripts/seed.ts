import { performance } from 'node:perf_hooks';
import { envInt, loadConfig } from '@cachelab/config';
import { seedTransaction } from '@cachelab/db';
import { createLogger } from '@cachelab/telemetry';
import { z } from 'zod';

/*
 * Seeds users 1..USERS (emails `user<N>@seed.cachelab.test`) and their orders, enough rows that
 * GET /users/:id/summary costs real work. Set-based SQL, so 80k orders take about a second.
 *
 * Deterministic: user N always has the same name, the same number of orders (0..2*ORDERS_PER_USER,
 * about ORDERS_PER_USER on average) with the same amounts and categories; dates are the same
 * offsets back from the day the seed ran. Idempotent: when the seed data is already complete it
 * changes nothing; otherwise it replaces it. The seed owns ids 1..USERS; users created through
 * the API get ids above them.
 */
const env = loadConfig(
  z.object({
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgresql:// URL' }),
    USERS: envInt(1, 1_000_000).default(2000),
    ORDERS_PER_USER: envInt(0, 1000).default(40),
  }),
);
const log = createLogger('user-seed');

const SEED_EMAIL = '%@seed.cachelab.test';

// $1 = USERS, $2 = ORDERS_PER_USER. Order counts vary per user so that spend percentiles spread.
const ORDERS_OF_USER = '((i * 7) % (2 * $2::int + 1))';

const STATE = `
SELECT (SELECT count(*) FROM "User" WHERE id <= $1 AND email LIKE '${SEED_EMAIL}')::int AS users,
       (SELECT count(*) FROM "User" WHERE id > $1 AND email LIKE '${SEED_EMAIL}')::int AS stray_users,
       (SELECT count(*) FROM "Order" WHERE "userId" <= $1)::int AS orders,
       (SELECT COALESCE(sum(${ORDERS_OF_USER}), 0) FROM generate_series(1, $1::int) AS i)::int AS expected_orders`;

const UPSERT_USERS = `
INSERT INTO "User" (id, email, name, "createdAt", "updatedAt")
SELECT i, 'user' || i || '@seed.cachelab.test', 'Seed User ' || i, t, t
  FROM generate_series(1, $1::int) AS i,
       LATERAL (SELECT date_trunc('day', now()) - (i % 730) * interval '1 day' AS t) AS created
ON CONFLICT (id) DO UPDATE
   SET email = EXCLUDED.email, name = EXCLUDED.name,
       "createdAt" = EXCLUDED."createdAt", "updatedAt" = EXCLUDED."updatedAt"`;

const INSERT_ORDERS = `
INSERT INTO "Order" ("userId", "amountCents", category, "createdAt")
SELECT i,
       (199 + ((i::bigint * 7919 + j * 104729) % 9801)::int) * (1 + i % 4),
       (ARRAY['books', 'electronics', 'grocery', 'home', 'toys', 'sports', 'beauty', 'garden'])[1 + (i * 3 + j * 5) % 8],
       date_trunc('day', now())
         - ((i * 31 + j * 97) % 730) * interval '1 day'
         - ((i * 13 + j * 17) % 1440) * interval '1 minute'
  FROM generate_series(1, $1::int) AS i,
       LATERAL generate_series(1, ${ORDERS_OF_USER}) AS j`;

interface SeedState {
  users: number;
  stray_users: number;
  orders: number;
  expected_orders: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  const params = [env.USERS, env.ORDERS_PER_USER];
  await seedTransaction(env.DATABASE_URL, 'cachelab:user-seed', async (client) => {
    const state = (await client.query<SeedState>(STATE, params)).rows[0]!;
    const complete = state.users === env.USERS && state.stray_users === 0 && state.orders === state.expected_orders;
    if (complete) {
      log.info({ users: state.users, orders: state.orders, ms: elapsed(started) }, 'seed data already present');
      return;
    }
    await client.query(`DELETE FROM "User" WHERE id > $1 AND email LIKE '${SEED_EMAIL}'`, [env.USERS]);
    await client.query(UPSERT_USERS, [env.USERS]);
    await client.query(`DELETE FROM "Order" WHERE "userId" <= $1`, [env.USERS]);
    const orders = await client.query(INSERT_ORDERS, params);
    // Explicit ids left the sequence behind; API-created users must start above the seed.
    await client.query(`SELECT setval(pg_get_serial_sequence('"User"', 'id'), (SELECT max(id) FROM "User"))`);
    // Fresh statistics, or the first summaries after a seed get planned for an empty table.
    await client.query('ANALYZE "User", "Order"');
    log.info({ users: env.USERS, orders: orders.rowCount, ms: elapsed(started) }, 'seeded');
  });
}

function elapsed(since: number): number {
  return Math.round(performance.now() - since);
}

main().catch((error: unknown) => {
  log.error({ err: error }, 'seed failed');
  process.exitCode = 1;
});
