import { closeRedis, createRedis, type RedisClient } from '@cachelab/redis';
import { createLogger } from '@cachelab/telemetry';
import { ChaosRedis, testRedisConfig, waitFor } from '@cachelab/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma } from '../src/db/client';
import { applyBatch } from '../src/write-behind/apply-batch';
import { loadWriteBehindConfig } from '../src/write-behind/config';
import { InventoryCounters } from '../src/write-behind/counters';
import { recordSale, type RecordSaleDeps } from '../src/write-behind/record-sale';
import { testDatabaseUrl } from './helpers/db';
import { testEnv } from './support/inventory-service';
import { freshOrderId, freshSku } from './support/skus';
import { closePool, persistedTotals, WriteBehindProbe, writeBehindEnv } from './support/write-behind-env';

/**
 * A sale has one identity, `sale:<sku>:<orderId>`, that the Redis path (its marker, and the key
 * its increment carries into the batch) and the Postgres fallback (an AppliedBatch row) both
 * honour. Real faults between the service and Redis: replies lost after the script ran, and Redis
 * unreachable. The flush is run by hand, on a connection of its own, once the fault is over.
 */
const wb = writeBehindEnv();
const prisma = createPrisma(testDatabaseUrl, { poolSize: 4 });
let chaos: ChaosRedis;
let redis: RedisClient;
let counters: InventoryCounters;
let probe: WriteBehindProbe;
let deps: RecordSaleDeps;

beforeAll(async () => {
  chaos = await ChaosRedis.forTestStack(testRedisConfig());
  probe = await WriteBehindProbe.open(wb);
});
afterEach(async () => {
  chaos.up();
  counters?.close();
  if (redis) await closeRedis(redis).catch(() => redis.disconnect());
});
afterAll(async () => {
  await probe?.close();
  await chaos?.close();
  await prisma.$disconnect();
  await closePool();
});

/** A fresh request-path connection through the proxies (and a closed breaker). */
async function connect(): Promise<void> {
  redis = createRedis(chaos.config, { purpose: 'cache', connectionName: 'sales-once-test', commandTimeoutMs: 300 });
  redis.on('error', () => undefined);
  await waitFor(async () => (await redis.ping().catch(() => '')) === 'PONG', { timeoutMs: 10_000, what: 'Redis through the proxies' });
  counters = new InventoryCounters(redis, loadWriteBehindConfig(testEnv(wb), testDatabaseUrl));
  deps = { counters, prisma, logger: createLogger('sales-once-test'), maxQty: 1_000 };
}

async function reconnect(): Promise<void> {
  counters.close();
  await closeRedis(redis).catch(() => redis.disconnect());
  chaos.up();
  await connect();
}

/** What the flush persists from Redis, now. */
async function flush(sku: string): Promise<void> {
  await probe.engine.flushShard(probe.engine.shardOf(sku), 'test-flush', (batch) => applyBatch(prisma, batch));
}

const sold = async (sku: string) => (await persistedTotals([sku])).sold;
const pendingSold = async (sku: string) => (await probe.engine.pending(sku, ['sold'])).unclaimed.sold;

describe('a sale counts once, whichever path counts it', () => {
  it('when Redis ran the script but its reply was lost (the fallback counted it too)', async () => {
    await connect();
    const sale = { orderId: freshOrderId(), sku: freshSku(), qty: 3 };

    chaos.dropReplies();
    expect(await recordSale(deps, sale)).toBe('counted-in-database');
    await waitFor(async () => (await pendingSold(sale.sku)) === 3, { timeoutMs: 5_000, what: 'the script to have run in Redis' });
    chaos.up();
    await flush(sale.sku);

    expect(await sold(sale.sku)).toBe(3);
    expect(await pendingSold(sale.sku)).toBe(0);
  });

  it('when a replay finds Redis down after the first attempt was counted (and flushed) there', async () => {
    await connect();
    const sale = { orderId: freshOrderId(), sku: freshSku(), qty: 2 };
    expect(await recordSale(deps, sale)).toBe('counted');
    await flush(sale.sku);

    chaos.down();
    expect(await recordSale(deps, sale)).toBe('duplicate');

    expect(await sold(sale.sku)).toBe(2);
  });

  it('when the first attempt went to Postgres (Redis down) and the replay is counted in Redis', async () => {
    await connect();
    const sale = { orderId: freshOrderId(), sku: freshSku(), qty: 4 };
    chaos.down();
    expect(await recordSale(deps, sale)).toBe('counted-in-database');

    await reconnect();
    await recordSale(deps, sale); // Redis has no marker for it: it may count it, the flush must not
    await flush(sale.sku);

    expect(await sold(sale.sku)).toBe(4);
  });
});
