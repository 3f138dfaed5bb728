import { sentinelMaster, startProcess, stopProcess, waitForHealthy } from '../../../infra/native';
import { testRedisMode, waitFor } from '@cachelab/testing';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, freshEmail } from './support/http';
import { startUserService, type RunningService } from './support/user-service';

/**
 * A real Redis server stopped mid-test: the master holding the user's key (Cluster) or the
 * Sentinel group's master. Replicas are promoted within seconds; meanwhile every request must
 * still succeed, and afterwards caching must resume on the new master without a restart.
 */
let svc: RunningService;
beforeAll(async () => {
  svc = await startUserService();
});
afterAll(async () => {
  await svc.close();
  await waitForHealthy({ timeoutMs: 60_000 }); // leave the stack whole for the next file
});

async function masterOf(key: string): Promise<number> {
  if (testRedisMode() === 'sentinel') return (await sentinelMaster()).port;
  const node = new Redis({ port: 7001, password: 'cachelab', lazyConnect: true });
  try {
    await node.connect();
    const slot = Number(await node.call('CLUSTER', 'KEYSLOT', key));
    const ranges = (await node.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!owner) throw new Error(`no node owns slot ${slot}`);
    return owner[2][1];
  } finally {
    node.disconnect();
  }
}

describe('failover: the master under the key is stopped', () => {
  it('requests keep succeeding, the replica takes over, caching resumes', async () => {
    const user = (await call(`${svc.url}/users`, { method: 'POST', json: { email: freshEmail(), name: 'F' } })).body;
    expect((await call(`${svc.url}/users/${user.id}`)).cache).toBe('miss');
    expect((await call(`${svc.url}/users/${user.id}`)).cache).toBe('hit');

    const port = await masterOf(svc.service.caches.profiles.keys(user.id).entry);
    await stopProcess(`redis-${port}`, { signal: 'SIGKILL' }); // a crash, not a polite shutdown

    const seen = new Set<string>();
    await waitFor(
      async () => {
        const read = await call(`${svc.url}/users/${user.id}`);
        expect(read.status).toBe(200); // never an error, whatever Redis is doing
        expect(read.body.name).toBe('F');
        seen.add(String(read.cache));
        return read.cache === 'hit';
      },
      { timeoutMs: 45_000, intervalMs: 50, what: 'caching to resume on the promoted replica' },
    );
    const patched = await call(`${svc.url}/users/${user.id}`, { method: 'PATCH', json: { name: 'G' } });
    expect(patched.status).toBe(200);
    expect((await call(`${svc.url}/users/${user.id}`)).body.name).toBe('G');

    await startProcess(`redis-${port}`); // it rejoins as a replica of the new master
    expect(port).not.toBe(await masterOf(svc.service.caches.profiles.keys(user.id).entry));
    expect([...seen]).toContain('hit');
  });
});
