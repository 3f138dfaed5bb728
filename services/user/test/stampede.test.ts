import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, freshEmail } from './support/http';
import { spawnUserService, type ServiceProcess } from './support/service-process';

let instances: ServiceProcess[] = [];
beforeAll(async () => {
  instances = await Promise.all([spawnUserService(), spawnUserService()]);
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
    expect((await totalOrigin('user.find')) - before).toBe(1);
    const results = replies.map((reply) => reply.cache);
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
});
