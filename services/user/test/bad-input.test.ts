import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, freshEmail } from './support/http';
import { startUserService, type RunningService } from './support/user-service';

let svc: RunningService;
let limited: RunningService;
beforeAll(async () => {
  svc = await startUserService();
  limited = await startUserService({ RATE_LIMIT_WRITES: '3', RATE_LIMIT_WINDOW_MS: '60000', TRUST_PROXY: 'loopback' });
});
afterAll(async () => {
  await svc.close();
  await limited.close();
});

const expectError = (reply: { status: number; body: any }, status: number, code: string) => {
  expect(reply.status).toBe(status);
  expect(reply.body).toMatchObject({ error: { code, message: expect.any(String) } });
};

describe('bad input is a 4xx with a JSON error, never a 5xx', () => {
  it.each(['abc', '0', '-1', '1.5', '042', '99999999999999999999', '1e3', '%20'])('GET /users/%s: 400 invalid_id', async (id) => {
    expectError(await call(`${svc.url}/users/${id}`), 400, 'invalid_id');
    expectError(await call(`${svc.url}/users/${id}/summary`), 400, 'invalid_id');
  });

  it('a well-formed id that does not exist: 404', async () => {
    expectError(await call(`${svc.url}/users/2147483647`), 404, 'not_found');
  });

  it.each([
    ['missing name', { email: 'a@b.test' }],
    ['bad email', { email: 'not-an-email', name: 'x' }],
    ['empty name', { email: 'a@b.test', name: '   ' }],
    ['name too long', { email: 'a@b.test', name: 'x'.repeat(101) }],
    ['unknown field', { email: 'a@b.test', name: 'x', isAdmin: true }],
    ['wrong type', { email: 42, name: 'x' }],
    ['an array', [{ email: 'a@b.test', name: 'x' }]],
  ])('POST /users with %s: 400 validation_failed', async (_, json) => {
    expectError(await call(`${svc.url}/users`, { method: 'POST', json }), 400, 'validation_failed');
  });

  it('names the unknown field', async () => {
    const reply = await call(`${svc.url}/users`, { method: 'POST', json: { email: freshEmail(), name: 'x', role: 'admin' } });
    expect(reply.body.error.details.issues).toContainEqual({ path: 'role', message: 'unknown field' });
  });

  it('PATCH with nothing to change, or an unknown field: 400', async () => {
    const user = (await call(`${svc.url}/users`, { method: 'POST', json: { email: freshEmail(), name: 'x' } })).body;
    expectError(await call(`${svc.url}/users/${user.id}`, { method: 'PATCH', json: {} }), 400, 'validation_failed');
    expectError(await call(`${svc.url}/users/${user.id}`, { method: 'PATCH', json: { id: 7 } }), 400, 'validation_failed');
    expect((await call(`${svc.url}/users/${user.id}`)).body.name).toBe('x'); // nothing was written
  });

  it('broken JSON: 400 malformed_json', async () => {
    const reply = await call(`${svc.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email": "a@b.test",' });
    expectError(reply, 400, 'malformed_json');
  });

  it('a body that is not JSON: 415', async () => {
    const reply = await call(`${svc.url}/users`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'email=a@b.test' });
    expectError(reply, 415, 'unsupported_media_type');
  });

  it('a body over the size limit: 413', async () => {
    const reply = await call(`${svc.url}/users`, { method: 'POST', json: { email: freshEmail(), name: 'x'.repeat(100_000) } });
    expectError(reply, 413, 'payload_too_large');
  });

  it('a duplicate email: 409, and the first user is intact', async () => {
    const email = freshEmail();
    const first = await call(`${svc.url}/users`, { method: 'POST', json: { email, name: 'first' } });
    expectError(await call(`${svc.url}/users`, { method: 'POST', json: { email, name: 'second' } }), 409, 'email_taken');
    expect((await call(`${svc.url}/users/${first.body.id}`)).body.name).toBe('first');
  });

  it('an unknown route: 404 not_found', async () => {
    expectError(await call(`${svc.url}/nope`), 404, 'not_found');
  });

  it('too many writes: 429 with Retry-After, and the limit is per window', async () => {
    // A client address of its own (through the trusted proxy header) gives this test a fresh budget.
    const client = { 'x-forwarded-for': `10.${process.pid % 250}.${Date.now() % 250}.${Math.floor(Math.random() * 250)}` };
    const replies = [];
    for (let i = 0; i < 5; i++) {
      replies.push(await call(`${limited.url}/users`, { method: 'POST', headers: client, json: { email: freshEmail(), name: 'r' } }));
    }
    expect(replies.map((reply) => reply.status)).toEqual([201, 201, 201, 429, 429]);
    expectError(replies[3]!, 429, 'rate_limited');
    const retryAfter = Number(replies[3]!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await call(`${limited.url}/users/1`)).status).not.toBe(429); // reads are not limited
  });
});
