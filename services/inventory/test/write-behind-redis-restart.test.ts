import { sentinelMaster, startProcess, stopProcess, waitForHealthy } from '../../../infra/native';
import { shardOf } from '@cachelab/cache';
import { CLUSTER_PORTS, testRedisMode, waitFor } from '@cachelab/testing';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, post } from './support/http';
import type { RunningService } from './support/inventory-service';
import { freshSku } from './support/skus';
import { closePool, inParallel, persistedTotals, stockRows, waitForPersisted, workerEnv, WriteBehindProbe, writeBehindEnv, startCountersService } from './support/write-behind-env';
import { spawnWorker, type WorkerProcess } from './support/write-behind-worker';

/**
 * The Redis server holding a shard's pending counters and an open batch is restarted for real
 * (SIGTERM, then started again): on the Cluster its replica takes over the slots while it is
 * down (the Cluster nodes keep no data on disk, so the replica's copy is what survives); in the
 * Sentinel group it reloads its append-only file. Every view acknowledged before, and after,
 * must reach Postgres exactly once.
 */
const wb = writeBehindEnv({ WORKER_ENABLED: 'false', WRITE_BEHIND_CONCURRENCY: '1' });
let svc: RunningService;
let probe: WriteBehindProbe;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  svc = await startCountersService(wb);
  probe = await WriteBehindProbe.open(wb);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await svc?.close();
  await probe?.close();
  await closePool();
  await waitForHealthy({ timeoutMs: 60_000 }); // leave the stack whole for the next file
});

async function clusterOwner(key: string, askPorts: readonly number[]): Promise<number | undefined> {
  for (const port of askPorts) {
    const node = new Redis({ port, password: 'cachelab', lazyConnect: true, maxRetriesPerRequest: 0 });
    node.on('error', () => undefined);
    try {
      await node.connect();
      const slot = Number(await node.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await node.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      return ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
    } catch {
      // that node is down: ask the next one
    } finally {
      node.disconnect();
    }
  }
  return undefined;
}

/** The server that holds `key` now: the Cluster master of its slot, or the Sentinel group's master. */
async function serverOf(key: string): Promise<number> {
  if (testRedisMode() === 'sentinel') return (await sentinelMaster()).port;
  const port = await clusterOwner(key, CLUSTER_PORTS);
  if (!port) throw new Error(`no node owns the slot of ${key}`);
  return port;
}

async function restart(port: number, key: string): Promise<void> {
  await stopProcess(`redis-${port}`); // SIGTERM: Redis 7 waits for its replicas to catch up
  if (testRedisMode() === 'cluster') {
    // Without data on disk, a master restarted before its replica took over would come back
    // empty and its replica would copy the emptiness: wait for the promotion first.
    const others = CLUSTER_PORTS.filter((p) => p !== port);
    await waitFor(async () => {
      const owner = await clusterOwner(key, others);
      return owner !== undefined && owner !== port;
    }, { timeoutMs: 30_000, what: `a replica to take over the slots of ${port}` });
  }
  await startProcess(`redis-${port}`);
  await waitForHealthy({ timeoutMs: 60_000 });
}

describe('a Redis restart under pending counters and an open batch', () => {
  it('loses and doubles no acknowledged view', async () => {
    const skus: string[] = [];
    while (skus.length < 3) {
      const sku = freshSku();
      if (shardOf(sku, Number(wb.WRITE_BEHIND_SHARDS)) === 0) skus.push(sku);
    }
    await stockRows(skus);
    let refused = 0;
    const views = async (count: number) => {
      const ok = await inParallel(count, 8, async (i) => (await post(`${svc.url}/products/${skus[i % skus.length]}/views`)).status === 202);
      refused += count - ok;
      return ok;
    };

    const first = await views(60);
    const doomed = await spawnWorker(workerEnv({ ...wb, WRITE_BEHIND_PAUSE_AT: 'claimed' }));
    workers.push(doomed);
    await doomed.line(/write-behind paused claimed /);
    await doomed.kill('SIGKILL'); // leaves an open batch behind
    const second = await views(40); // and these stay in `pending`
    expect((await probe.backlog()).openBatches).toBe(1);

    const pendingKey = probe.engine.keys(0).pending;
    const port = await serverOf(pendingKey);
    await restart(port, pendingKey);
    await waitFor(async () => (await call(`${svc.url}/readyz`)).status === 200, { timeoutMs: 30_000, what: 'the service to be ready again' });
    const third = await views(30);

    expect((await probe.backlog()).openBatches).toBe(1); // the open batch survived the restart
    const next = await spawnWorker(workerEnv(wb));
    workers.push(next);
    await waitForPersisted(probe, skus, {}, 30_000);
    const { views: persisted } = await persistedTotals(skus);
    expect(persisted).toBeGreaterThanOrEqual(first + second + third);
    expect(persisted).toBeLessThanOrEqual(first + second + third + refused);
    expect(refused).toBe(0); // no request was in flight during the restart
    await next.kill('SIGTERM');
  }, 180_000);
});
