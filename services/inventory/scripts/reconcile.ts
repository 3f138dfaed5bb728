import { parseArgs } from 'node:util';
import { envInt, loadConfig, redisConfigFromEnv } from '@cachelab/config';
import { closeRedis, createRedis, waitForReady } from '@cachelab/redis';
import { createLogger } from '@cachelab/telemetry';
import { z } from 'zod';
import { createPrisma } from '../src/db/client';
import { reconcileStock } from '../src/stock/reconcile';
import { StockStore } from '../src/stock/stock-store';
import { SKU_PATTERN } from '../src/stock/validation';

/*
 * Reports and repairs drift between Redis' live stock and Postgres' record.
 *   npm run reconcile -w services/inventory                 repair every SKU
 *   npm run reconcile -w services/inventory -- --dry-run    report only (exit code 2 when drift is found)
 *   ... -- --sku SKU-1 --sku SKU-2 --grace-ms 0
 * Safe while the service runs: each SKU is compared and repaired in one atomic script, and
 * reservations younger than the grace period (RECONCILE_GRACE_MS) are treated as in flight.
 */
const env = loadConfig(
  z.object({
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgresql:// URL' }),
    RECONCILE_GRACE_MS: envInt(0, 86_400_000).default(30_000),
    RESERVATION_RETENTION_HOURS: envInt(1, 24 * 3650).default(24 * 30),
  }),
);
const log = createLogger('inventory-reconcile');

const { values } = parseArgs({
  options: {
    'dry-run': { type: 'boolean', default: false },
    'grace-ms': { type: 'string' },
    sku: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
  },
});

async function main(): Promise<void> {
  const graceMs = values['grace-ms'] === undefined ? env.RECONCILE_GRACE_MS : Number(values['grace-ms']);
  if (!Number.isSafeInteger(graceMs) || graceMs < 0) throw new Error('--grace-ms expects a non-negative integer');
  const badSku = values.sku?.find((sku) => !SKU_PATTERN.test(sku));
  if (badSku) throw new Error(`--sku ${badSku}: expected a SKU such as SKU-42`);

  const prisma = createPrisma(env.DATABASE_URL, { poolSize: 4 });
  const redis = createRedis(redisConfigFromEnv(), { purpose: 'cache', connectionName: 'inventory-reconcile', commandTimeoutMs: 10_000 });
  try {
    await waitForReady(redis);
    const report = await reconcileStock(
      { store: new StockStore(redis), prisma, logger: log },
      { dryRun: values['dry-run'], graceMs, retentionHours: env.RESERVATION_RETENTION_HOURS, ...(values.sku ? { skus: values.sku } : {}) },
    );
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } else {
      for (const drift of report.drifted) {
        const changes = drift.changes.map((c) => (c.orderId ? `${c.kind}(${c.orderId}, ${c.qty})` : `${c.kind}(${c.qty})`)).join(', ');
        process.stdout.write(`${drift.sku}: available ${drift.before ?? 'missing'} -> ${drift.after}${drift.oversold ? ' OVERSOLD' : ''}: ${changes}\n`);
      }
      const verb = report.dryRun ? 'would repair' : 'repaired';
      process.stdout.write(`${report.skus} SKUs checked, ${report.drifted.length} drifted, ${verb}; ${report.releasesRecorded} releases recorded in Postgres\n`);
    }
    if (report.dryRun && report.drifted.length > 0) process.exitCode = 2;
  } finally {
    await closeRedis(redis);
    // quit() leaves the Sentinel failover detector's sockets open (ioredis#1362): drop them too.
    redis.disconnect();
    await prisma.$disconnect();
  }
}

main().catch((error: unknown) => {
  log.error({ err: error }, 'reconciliation failed');
  process.exitCode = 1;
});
