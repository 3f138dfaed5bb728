import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, freshEmail } from './support/http';
import { startUserService, type RunningService } from './support/user-service';

let svc: RunningService;
beforeAll(async () => {
  svc = await startUserService();
});
afterAll(() => svc.close());

const createUser = async (name = 'Ada') => {
  const created = await call(`${svc.url}/users`, { method: 'POST', json: { email: freshEmail(), name } });
  expect(created.status).toBe(201);
  return created.body as { id: number; name: string; email: string };
};

describe('GET /users/:id (cache-aside)', () => {
  it('answers miss, then hit, with the same profile', async () => {
    const user = await createUser();
    const first = await call(`${svc.url}/users/${user.id}`);
    const second = await call(`${svc.url}/users/${user.id}`);
    expect([first.status, first.cache]).toEqual([200, 'miss']);
    expect([second.status, second.cache]).toEqual([200, 'hit']);
    expect(second.body).toEqual(user);
  });

  it('PATCH commits, then invalidates: the next read shows the change', async () => {
    const user = await createUser('Before');
    await call(`${svc.url}/users/${user.id}`); // cached
    const patched = await call(`${svc.url}/users/${user.id}`, { method: 'PATCH', json: { name: 'After' } });
    expect(patched.status).toBe(200);

    const read = await call(`${svc.url}/users/${user.id}`);
    expect([read.cache, read.body.name]).toEqual(['miss', 'After']);
    expect((await call(`${svc.url}/users/${user.id}`)).cache).toBe('hit');
  });

  it('DELETE invalidates: the user is gone, then cached as gone', async () => {
    const user = await createUser();
    await call(`${svc.url}/users/${user.id}`);
    expect((await call(`${svc.url}/users/${user.id}`, { method: 'DELETE' })).status).toBe(204);

    const gone = await call(`${svc.url}/users/${user.id}`);
    expect([gone.status, gone.cache, gone.body.error.code]).toEqual([404, 'miss', 'not_found']);
    expect((await call(`${svc.url}/users/${user.id}`)).cache).toBe('negative');
  });

  it('a missing user is cached as a tombstone, and creating it removes the tombstone', async () => {
    const probe = await createUser();
    const nextId = probe.id + 1; // ids come from a sequence and this file runs alone
    expect((await call(`${svc.url}/users/${nextId}`)).cache).toBe('miss');
    expect((await call(`${svc.url}/users/${nextId}`)).cache).toBe('negative');

    const created = await createUser('Newcomer');
    expect(created.id).toBe(nextId);
    const read = await call(`${svc.url}/users/${nextId}`);
    expect([read.status, read.cache, read.body.name]).toEqual([200, 'miss', 'Newcomer']);
  });
});

describe('GET /users/:id/summary (stale-while-revalidate)', () => {
  it('is computed once, then served from the cache', async () => {
    const user = await createUser();
    await svc.service.prisma.$executeRaw`
      INSERT INTO "Order" ("userId", "amountCents", category)
      SELECT ${user.id}, 1000 * g, 'books' FROM generate_series(1, 5) AS g`;

    const first = await call(`${svc.url}/users/${user.id}/summary`);
    expect([first.status, first.cache]).toEqual([200, 'miss']);
    expect(first.body).toMatchObject({ orderCount: 5, lifetimeSpendCents: 15_000 });
    expect((await call(`${svc.url}/users/${user.id}/summary`)).cache).toBe('hit');
  });
});
