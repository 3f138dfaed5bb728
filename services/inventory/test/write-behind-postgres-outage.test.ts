import { createLogger } from '@cachelab/telemetry';
import { TcpProxy, testRedisConfig, waitFor } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type Prisma } from '../src/db/client';
import { createWriteBehind, type WriteBehind } from '../src/write-behind/runtime';
import { testDatabaseUrl } from './helpers/db';
import { call, post } from './support/http';
import { testEnv, type RunningService } from './support/inventory-service';
import { freshSku } from './support/skus';
import { closePool, inParallel, persistedTotals, stockRows, waitForPersisted, WriteBehindProbe, writeBehindEnv, startCountersService } from './support/write-behind-env';

/**
 * Postgres goes away under the flush worker only (a TCP proxy in front of it is cut): views keep
 * being acknowledged into Redis, flush jobs fail, are retried with backoff and end up kept as
 * failed, the batches wait in Redis; when Postgres is back every acknowledged view is persisted
 * exactly once.
 */
const wb = writeBehindEnv({ WORKER_ENABLED: 'false' });
let svc: RunningService;
let probe: WriteBehindProbe;
let proxy: TcpProxy;
let proxiedPrisma: Prisma;
let worker: WriteBehind;

beforeAll(async () => {
  svc = await startCountersService(wb); // serves requests; reads Postgres directly
  probe = await WriteBehindProbe.open(wb);
  const url = new URL(testDatabaseUrl);
  proxy = await new TcpProxy({ host: url.hostname, port: Number(url.port) }).start();
  url.port = String(proxy.port);
  proxiedPrisma = createPrisma(url.toString(), { poolSize: 2, onPoolError: () => undefined });
  worker = createWriteBehind({
    env: testEnv(wb),
    databaseUrl: testDatabaseUrl,
    serviceRedis: testRedisConfig(),
    prisma: proxiedPrisma,
    logger: createLogger('write-behind-test'),
    startWorker: true,
  });
});
afterAll(async () => {
  proxy?.up();
  await worker?.close();
  await proxiedPrisma?.$disconnect();
  await proxy?.close();
  await svc?.close();
  await probe?.close();
  await closePool();
});

const views = (skus: string[], count: number) =>
  inParallel(count, 8, async (i) => (await post(`${svc.url}/products/${skus[i % skus.length]}/views`)).status === 202);

describe('Postgres outage under the flush worker', () => {
  it('keeps acknowledging views, retries and keeps failed jobs, then persists everything once', async () => {
    const skus = [freshSku(), freshSku(), freshSku()];
    await stockRows(skus);
    const before = await views(skus, 50);
    await waitForPersisted(probe, skus, { views: before });

    proxy.down();
    const failedBefore = await worker.queue.getFailedCount();
    const during = await views(skus, 70);
    expect(during).toBe(70); // Redis takes them: the outage is invisible to clients

    const failed = await waitFor(
      async () => {
        const jobs = await worker.queue.getFailed(0, 50);
        return jobs.length > failedBefore ? jobs.find((job) => job.attemptsMade === Number(wb.WRITE_BEHIND_ATTEMPTS)) : undefined;
      },
      { timeoutMs: 30_000, what: 'a flush job to fail all its attempts' },
    );
    expect(failed.failedReason).toBeTruthy();
    expect(failed.data.shard).toBeTypeOf('number');

    const shown = (await call(`${svc.url}/counters/${skus[0]}`)).body.views;
    expect(shown.persisted + shown.pending).toBeGreaterThan(shown.persisted);
    expect(await persistedTotals(skus)).toEqual({ views: before, sold: 0 });
    expect((await probe.backlog()).openBatches).toBeGreaterThan(0); // claimed, waiting for Postgres

    proxy.up();
    await waitForPersisted(probe, skus, { views: before + during });
    expect(await worker.queue.getFailedCount()).toBeGreaterThan(failedBefore); // kept for inspection
  });
});
