import { performance } from 'node:perf_hooks';
import { envInt, loadConfig } from '@cachelab/config';
import { createLogger } from '@cachelab/telemetry';
import { Client } from 'pg';
import { z } from 'zod';

/*
 * Seeds stock for SKU-1..SKU-<SKUS>, STOCK_PER_SKU units each, in Postgres. Idempotent and never
 * destructive: SKUs that already have a Stock row keep it (their restocks and reservations are
 * real history). The running service loads missing SKUs into Redis at start, or on first use.
 */
const env = loadConfig(
  z.object({
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgresql:// URL' }),
    SKUS: envInt(1, 1_000_000).default(5000),
    STOCK_PER_SKU: envInt(0, 1_000_000_000).default(1000),
  }),
);
const log = createLogger('inventory-seed');

const INSERT_STOCK = `
INSERT INTO "Stock" (sku, total, "updatedAt")
SELECT 'SKU-' || i, $2::int, now() FROM generate_series(1, $1::int) AS i
ON CONFLICT (sku) DO NOTHING`;

async function main(): Promise<void> {
  const started = performance.now();
  const client = new Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    const inserted = await client.query(INSERT_STOCK, [env.SKUS, env.STOCK_PER_SKU]);
    await client.query('ANALYZE "Stock"');
    log.info(
      { skus: env.SKUS, created: inserted.rowCount, alreadyPresent: env.SKUS - (inserted.rowCount ?? 0), ms: Math.round(performance.now() - started) },
      'stock seeded',
    );
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  log.error({ err: error }, 'seed failed');
  process.exitCode = 1;
});
