import { ChaosRedis, testRedisConfig, waitFor } from '@cachelab/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, freshEmail } from './support/http';
import { startUserService, type RunningService } from './support/user-service';

let chaos: ChaosRedis;
let svc: RunningService;
beforeAll(async () => {
  chaos = await ChaosRedis.forTestStack(testRedisConfig());
  svc = await startUserService({}, chaos.config);
});
afterAll(async () => {
  await svc.close();
  await chaos.close();
});

describe('Redis unreachable mid-test', () => {
  it('reads and writes keep succeeding from Postgres, then caching resumes by itself', async () => {
    const user = (await call(`${svc.url}/users`, { method: 'POST', json: { email: freshEmail(), name: 'Before' } })).body;
    expect((await call(`${svc.url}/users/${user.id}`)).cache).toBe('miss');
    expect((await call(`${svc.url}/users/${user.id}`)).cache).toBe('hit');

    chaos.down();

    for (let i = 0; i < 20; i++) {
      const read = await call(`${svc.url}/users/${user.id}`);
      expect([read.status, read.cache]).toEqual([200, 'bypass']);
    }
    expect(svc.service.caches.store.breaker.state).toBe('open');
    const patched = await call(`${svc.url}/users/${user.id}`, { method: 'PATCH', json: { name: 'During' } });
    expect(patched.status).toBe(200);
    const created = await call(`${svc.url}/users`, { method: 'POST', json: { email: freshEmail(), name: 'New' } });
    expect(created.status).toBe(201);
    expect((await call(`${svc.url}/users/${user.id}`)).body.name).toBe('During');
    expect((await call(`${svc.url}/users/${user.id}/summary`)).status).toBe(200);
    const ready = await call(`${svc.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toMatchObject({ redis: false, database: true });

    chaos.up();

    await waitFor(async () => (await call(`${svc.url}/users/${user.id}`)).cache === 'hit', { what: 'caching to resume' });
    const after = await call(`${svc.url}/users/${user.id}`);
    expect([after.cache, after.body.name]).toEqual(['hit', 'During']); // the outage's write was not lost
    expect((await call(`${svc.url}/readyz`)).status).toBe(200);
  });
});
