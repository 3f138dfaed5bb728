import { shardOf } from '@cachelab/cache';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, post } from './support/http';
import type { RunningService } from './support/inventory-service';
import { freshSku } from './support/skus';
import {
  appliedBatchIds,
  closePool,
  inParallel,
  persistedTotals,
  stockRows,
  waitForPersisted,
  workerEnv,
  WriteBehindProbe,
  writeBehindEnv,
  startCountersService,
} from './support/write-behind-env';
import { spawnWorker, type WorkerProcess } from './support/write-behind-worker';

/**
 * A standalone flush worker (src/worker.ts) killed with SIGKILL mid-batch, at the two places that
 * matter: after it moved the pending increments into its batch (nothing in Postgres yet), and
 * after Postgres committed the batch (Redis still lists it as open). The next worker must end
 * with Postgres holding every acknowledged increment exactly once. SIGTERM instead lets the
 * batch finish.
 */
// The workers are killed, not Redis: a view is refused only if Redis does not answer in 30 s, so
// every view is acknowledged, and the totals must be exact (an increment refused after Redis ran
// it is the one case write-behind cannot count exactly; docs/patterns/write-behind.md).
const wb = writeBehindEnv({ WORKER_ENABLED: 'false', WRITE_BEHIND_CONCURRENCY: '1', WRITE_BEHIND_COMMAND_TIMEOUT_MS: '30000' });
let svc: RunningService;
let probe: WriteBehindProbe;
const workers: WorkerProcess[] = [];

/** SKUs of one shard: the paused batch then holds all of them, and no other shard has work. */
function skusOfOneShard(count: number): string[] {
  const skus: string[] = [];
  while (skus.length < count) {
    const sku = freshSku();
    if (shardOf(sku, Number(wb.WRITE_BEHIND_SHARDS)) === 0) skus.push(sku);
  }
  return skus;
}

async function views(skus: string[], count: number): Promise<number> {
  return inParallel(count, 16, async (i) => (await post(`${svc.url}/products/${skus[i % skus.length]}/views`)).status === 202);
}

async function worker(extra: Record<string, string> = {}): Promise<WorkerProcess> {
  const started = await spawnWorker(workerEnv({ ...wb, ...extra }));
  workers.push(started);
  return started;
}

const pausedBatch = async (w: WorkerProcess, stage: string) => (await w.line(new RegExp(`write-behind paused ${stage} `))).split(' ').at(-1)!;

beforeAll(async () => {
  svc = await startCountersService(wb);
  probe = await WriteBehindProbe.open(wb);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await svc?.close();
  await probe?.close();
  await closePool();
});

describe('a flush worker killed mid-batch', () => {
  it('SIGKILL after the claim: the orphaned batch is applied by the next worker, once', async () => {
    const skus = skusOfOneShard(3);
    await stockRows(skus);
    const before = await views(skus, 60);

    const doomed = await worker({ WRITE_BEHIND_PAUSE_AT: 'claimed' });
    const batchId = await pausedBatch(doomed, 'claimed');
    const during = await views(skus, 40); // acknowledged while the batch is out of `pending`
    const shown = (await call(`${svc.url}/counters/${skus[0]}`)).body.views;
    expect(shown.persisted).toBe(0);
    expect(await doomed.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    expect(await persistedTotals(skus)).toEqual({ views: 0, sold: 0 });
    expect(await probe.openBatches()).toEqual([batchId]);

    const next = await worker();
    await waitForPersisted(probe, skus, { views: before + during });
    expect(await appliedBatchIds([batchId])).toEqual([batchId]);
    expect(before + during).toBe(100);
    await next.kill('SIGTERM');
  });

  it('SIGKILL after the commit, before the acknowledgement: the retry finds the batch applied and does not add it again', async () => {
    const skus = skusOfOneShard(3);
    await stockRows(skus);
    const before = await views(skus, 50);

    const doomed = await worker({ WRITE_BEHIND_PAUSE_AT: 'applied' });
    const batchId = await pausedBatch(doomed, 'applied');
    expect(await persistedTotals(skus)).toEqual({ views: before, sold: 0 });
    expect(await probe.openBatches()).toEqual([batchId]); // committed, yet still open in Redis
    const during = await views(skus, 30);
    await doomed.kill('SIGKILL');

    const next = await worker();
    await waitForPersisted(probe, skus, { views: before + during });
    expect(await persistedTotals(skus)).toEqual({ views: 80, sold: 0 });
    await next.kill('SIGTERM');
  });

  it('SIGTERM mid-batch: the worker finishes the batch, acknowledges it and exits 0', async () => {
    const skus = skusOfOneShard(2);
    await stockRows(skus);
    const before = await views(skus, 40);

    const stopping = await worker({ WRITE_BEHIND_PAUSE_AT: 'claimed' });
    const batchId = await pausedBatch(stopping, 'claimed');
    expect(await stopping.kill('SIGTERM')).toEqual({ code: 0, signal: null });

    expect(await persistedTotals(skus)).toEqual({ views: before, sold: 0 });
    expect(await appliedBatchIds([batchId])).toEqual([batchId]);
    expect(await probe.openBatches()).toEqual([]);
  });

  it('SIGKILL at whatever moment, again and again, during a storm of views: totals stay exact', async () => {
    const skus = [...skusOfOneShard(2), freshSku(), freshSku(), freshSku()];
    await stockRows(skus);
    let acknowledged = 0;
    let refused = 0;
    let storming = true;
    const storm = (async () => {
      while (storming) {
        const ok = await views(skus, 40);
        acknowledged += ok;
        refused += 40 - ok;
      }
    })();

    for (let kill = 0; kill < 4; kill += 1) {
      const victim = await worker();
      const seen = (await persistedTotals(skus)).views;
      await expectProgress(seen, skus); // it has flushed something: kill it somewhere in its loop
      await victim.kill('SIGKILL');
    }
    storming = false;
    await storm;

    const last = await worker();
    expect(refused).toBe(0);
    await waitForPersisted(probe, skus, { views: acknowledged }, 30_000);
    expect((await persistedTotals(skus)).views).toBe(acknowledged);
    await last.kill('SIGTERM');
  }, 180_000);
});

async function expectProgress(seen: number, skus: string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await persistedTotals(skus)).views <= seen) {
    if (Date.now() > deadline) throw new Error('the worker persisted nothing within 20 s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
