import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, freshEmail } from './support/http';
import { spawnUserService, type ServiceProcess } from './support/service-process';

let instances: ServiceProcess[] = [];
beforeAll(async () => {
  // This file is about stampede protection, not degradation: on a busy 2-core machine 500
  // requests can delay Redis replies past the default 500 ms timeout, which (rightly) turns
  // them into database bypasses. A generous timeout keeps the measurement about the pattern.
  const env = { REDIS_COMMAND_TIMEOUT_MS: '10000' };
  instances = await Promise.all([spawnUserService(env), spawnUserService(env)]);
});
afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.stop()));
});

const totalOrigin = async (operation: string) =>
  (await Promise.all(instances.map((instance) => instance.originQueries(operation)))).reduce((a, b) => a + b, 0);

describe('stampede across two running instances', () => {
  it('500 concurrent reads of one cold profile reach the database once', async () => {
    const [a, b] = instances as [ServiceProcess, ServiceProcess];
    const user = (await call(`${a.url}/users`, { method: 'POST', json: { email: freshEmail(), name: 'Hot' } })).body;
    const before = await totalOrigin('user.find');

    const replies = await Promise.all(
      Array.from({ length: 500 }, (_, i) => call(`${(i % 2 ? a : b).url}/users/${user.id}`)),
    );

    expect(replies.every((reply) => reply.status === 200 && reply.body.name === 'Hot')).toBe(true);
    const results = replies.map((reply) => reply.cache);
    const tally = Object.fromEntries([...new Set(results)].map((r) => [r, results.filter((x) => x === r).length]));
    expect({ queries: (await totalOrigin('user.find')) - before, tally }).toMatchObject({ queries: 1 });
    expect(results.filter((result) => result === 'miss')).toHaveLength(1);
    expect(results.every((result) => result === 'miss' || result === 'coalesced' || result === 'hit')).toBe(true);
  });

  it('500 concurrent reads of one cold summary compute it once', async () => {
    const [a, b] = instances as [ServiceProcess, ServiceProcess];
    const user = (await call(`${a.url}/users`, { method: 'POST', json: { email: freshEmail(), name: 'Agg' } })).body;
    const before = await totalOrigin('user.summary');

    const replies = await Promise.all(
      Array.from({ length: 500 }, (_, i) => call(`${(i % 2 ? a : b).url}/users/${user.id}/summary`)),
    );

    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    expect((await totalOrigin('user.summary')) - before).toBe(1);
  });

  it('the unprotected lab variant stampedes: the same burst sends many queries', async () => {
    const [a, b] = instances as [ServiceProcess, ServiceProcess];
    const user = (await call(`${a.url}/users`, { method: 'POST', json: { email: freshEmail(), name: 'Naive' } })).body;
    const before = await totalOrigin('user.find');

    const replies = await Promise.all(
      Array.from({ length: 500 }, (_, i) => call(`${(i % 2 ? a : b).url}/lab/users/${user.id}/unprotected`)),
    );

    expect(replies.every((reply) => reply.status === 200)).toBe(true);
    const queries = (await totalOrigin('user.find')) - before;
    console.log(`unprotected: 500 concurrent cold reads sent ${queries} queries (protected: 1)`);
    expect(queries).toBeGreaterThan(1);
  });
});
