import { TcpProxy, waitFor } from '@cachelab/testing';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from './helpers/db';
import { call, post } from './support/http';
import type { RunningService } from './support/inventory-service';
import { freshSku } from './support/skus';
import {
  closePool,
  inParallel,
  persistedTotals,
  startCountersService,
  stockRows,
  waitForPersisted,
  WriteBehindProbe,
  writeBehindEnv,
} from './support/write-behind-env';

/**
 * Postgres goes away (a TCP proxy in front of it is cut, for this service and its flush worker
 * only): views keep being acknowledged into Redis, reads that need Postgres answer 503, flush jobs
 * fail, are retried with backoff and kept as failed, the batches wait in Redis; when Postgres is
 * back every acknowledged view is persisted exactly once.
 */
const wb = writeBehindEnv();
let proxy: TcpProxy;
let svc: RunningService;
let probe: WriteBehindProbe;
let queue: Queue;

beforeAll(async () => {
  const url = new URL(testDatabaseUrl);
  proxy = await new TcpProxy({ host: url.hostname, port: Number(url.port) }).start();
  url.port = String(proxy.port);
  svc = await startCountersService({ ...wb, DATABASE_URL: url.toString() });
  probe = await WriteBehindProbe.open(wb);
  queue = new Queue('counter-flush', { connection: probe.redis, prefix: `{${wb.WRITE_BEHIND_NAMESPACE}}` });
});
afterAll(async () => {
  proxy?.up();
  await svc?.close();
  await queue?.close();
  await probe?.close();
  await proxy?.close();
  await closePool();
});

const views = (skus: string[], count: number) =>
  inParallel(count, 8, async (i) => (await post(`${svc.url}/products/${skus[i % skus.length]}/views`)).status === 202);

describe('Postgres outage under the counters', () => {
  it('keeps acknowledging views, retries and keeps failed jobs, then persists everything once', async () => {
    const skus = [freshSku(), freshSku(), freshSku()];
    await stockRows(skus);
    const before = await views(skus, 50);
    await waitForPersisted(probe, skus, { views: before });
    const failedBefore = await queue.getFailedCount();

    proxy.down();
    const during = await views(skus, 70);
    expect(during).toBe(70); // Redis takes them: the outage is invisible to the clients that count

    const failed = await waitFor(
      async () => {
        const jobs = await queue.getFailed(0, 50);
        return jobs.length > failedBefore ? jobs.find((job) => job.attemptsMade === Number(wb.WRITE_BEHIND_ATTEMPTS)) : undefined;
      },
      { timeoutMs: 30_000, what: 'a flush job to fail all its attempts' },
    );
    expect(failed.failedReason).toBeTruthy();
    expect(failed.data.shard).toBeTypeOf('number');

    // More views while every flush attempt fails: they wait in the one pending hash of their
    // shard, not in a new batch per attempt (wb-claim-7.lua claims only when none is open).
    let more = 0;
    for (let round = 0; round < 4; round += 1) {
      more += await views(skus, 10);
      const failedNow = await queue.getFailedCount();
      await waitFor(async () => (await queue.getFailedCount()) > failedNow, { timeoutMs: 30_000, what: 'another flush job to fail' });
    }
    expect(more).toBe(40);
    for (let shard = 0; shard < probe.engine.shards; shard += 1) {
      expect(await probe.redis.zcard(probe.engine.keys(shard).openBatches)).toBeLessThanOrEqual(1);
    }
    const pendingViews = await Promise.all(skus.map(async (sku) => (await probe.engine.pending(sku, ['views'])).batches.length));
    expect(Math.max(...pendingViews)).toBeLessThanOrEqual(1);

    const read = await call(`${svc.url}/counters/${skus[0]}`);
    expect(read.status).toBe(503);
    expect(read.body.error.code).toBe('database_unavailable');
    expect(await persistedTotals(skus)).toEqual({ views: before, sold: 0 });
    expect((await probe.backlog()).openBatches).toBeGreaterThan(0); // claimed, waiting for Postgres

    proxy.up();
    await waitForPersisted(probe, skus, { views: before + during + more });
    expect(await queue.getFailedCount()).toBeGreaterThan(failedBefore); // kept for inspection
    const after = (await call(`${svc.url}/counters/${skus[0]}`)).body.views;
    expect(after.pending).toBe(0);
  });
});
