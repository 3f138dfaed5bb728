import { createLogger } from '@cachelab/telemetry';
import { testRedisConfig, waitFor } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWriteBehind, type WriteBehind } from '../src/write-behind/runtime';
import { testDatabaseUrl } from './helpers/db';
import { call, post } from './support/http';
import { testEnv, type RunningService } from './support/inventory-service';
import { freshSku } from './support/skus';
import { closePool, persistedTotals, startCountersService, stockRows, WriteBehindProbe, writeBehindEnv } from './support/write-behind-env';

/**
 * GET /counters/:sku splits every acknowledged increment into persisted or pending, never both
 * and never neither, even in the two windows of a flush: a batch claimed but not applied
 * (pending), and a batch committed to Postgres but not yet acknowledged in Redis (persisted).
 */
const wb = writeBehindEnv({ WORKER_ENABLED: 'false', WRITE_BEHIND_CONCURRENCY: '1' });
let svc: RunningService;
let probe: WriteBehindProbe;

beforeAll(async () => {
  svc = await startCountersService(wb);
  probe = await WriteBehindProbe.open(wb);
});
afterAll(async () => {
  await svc?.close();
  await probe?.close();
  await closePool();
});

function pausedWorker(stage?: 'claimed' | 'applied'): WriteBehind {
  return createWriteBehind({
    env: testEnv(stage ? { ...wb, WRITE_BEHIND_PAUSE_AT: stage } : wb),
    databaseUrl: testDatabaseUrl,
    serviceRedis: testRedisConfig(),
    prisma: svc.service.prisma,
    logger: createLogger('write-behind-test'),
    startWorker: true,
  });
}

const views = async (sku: string, count: number) => {
  for (let i = 0; i < count; i += 1) expect((await post(`${svc.url}/products/${sku}/views`)).status).toBe(202);
};
const counters = async (sku: string) => (await call(`${svc.url}/counters/${sku}`)).body.views;

describe('persisted + pending while a flush is half-way', () => {
  it('a claimed batch still counts as pending', async () => {
    const sku = freshSku();
    await stockRows([sku]);
    await views(sku, 30);
    const worker = pausedWorker('claimed');
    await waitFor(async () => (await probe.openBatches()).length === 1, { what: 'the batch to be claimed' });
    await views(sku, 10);

    expect(await counters(sku)).toEqual({ persisted: 0, pending: 40 });

    await worker.close(); // shutdown lets the paused flush finish its batch
    expect(await counters(sku)).toEqual({ persisted: 30, pending: 10 });

    // Leave nothing pending: a paused worker of the next test pauses on the first batch it meets.
    const drain = pausedWorker();
    await waitFor(async () => (await counters(sku)).pending === 0, { what: 'the last views to be flushed' });
    await drain.close();
  });

  it('a committed but unacknowledged batch counts as persisted only', async () => {
    const sku = freshSku();
    await stockRows([sku]);
    await views(sku, 30);
    const worker = pausedWorker('applied');
    await waitFor(async () => (await persistedTotals([sku])).views === 30, { what: 'the batch to be committed' });
    expect(await probe.openBatches()).toHaveLength(1); // still open in Redis
    await views(sku, 10);

    expect(await counters(sku)).toEqual({ persisted: 30, pending: 10 });

    await worker.close();
    expect(await probe.openBatches()).toEqual([]);
    expect(await counters(sku)).toEqual({ persisted: 30, pending: 10 });
  });
});
