import { uniqueName, waitFor } from '@cachelab/testing';
import { describe, expect, it } from 'vitest';
import { SlidingWindowRateLimiter } from '../src/rate-limit';
import { newStore } from './helpers';

describe('sliding-window rate limit', () => {
  it('admits exactly the limit among concurrent requests from two instances', async () => {
    const options = { name: uniqueName('writes'), limit: 10, windowMs: 60_000 };
    const a = new SlidingWindowRateLimiter(await newStore(), options);
    const b = new SlidingWindowRateLimiter(await newStore(), options);

    const decisions = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).check('client-1')));
    const allowed = decisions.filter((d) => d.allowed);
    expect(allowed).toHaveLength(10);
    const denied = decisions.filter((d) => !d.allowed);
    expect(denied.every((d) => d.retryAfterMs > 0 && d.retryAfterMs <= 60_000 && d.result === 'limited')).toBe(true);
  });

  it('counts each client separately', async () => {
    const limiter = new SlidingWindowRateLimiter(await newStore(), { name: uniqueName('w'), limit: 1, windowMs: 60_000 });
    expect((await limiter.check('alice')).allowed).toBe(true);
    expect((await limiter.check('alice')).allowed).toBe(false);
    expect((await limiter.check('bob')).allowed).toBe(true);
  });

  it('limits IPv6 clients like any other, each address on its own', async () => {
    const limiter = new SlidingWindowRateLimiter(await newStore(), { name: uniqueName('w'), limit: 1, windowMs: 60_000 });
    expect(await limiter.check('::1')).toMatchObject({ allowed: true, result: 'allowed' });
    expect(await limiter.check('::1')).toMatchObject({ allowed: false, result: 'limited' });
    expect((await limiter.check('2001:db8::1')).allowed).toBe(true);
    expect((await limiter.check('_3a_3a1')).allowed).toBe(true); // the encoding of '::1' is another client
  });

  it('admits again once the oldest request has left the window', async () => {
    const limiter = new SlidingWindowRateLimiter(await newStore(), { name: uniqueName('w'), limit: 2, windowMs: 300 });
    const startedAt = Date.now();
    await limiter.check('c');
    await limiter.check('c');
    const denied = await limiter.check('c');
    expect(denied.allowed).toBe(false);
    // A denied request takes no slot, so polling is harmless; it is admitted once the window slid.
    const admittedAt = await waitFor(async () => ((await limiter.check('c')).allowed ? Date.now() : 0));
    expect(admittedAt - startedAt).toBeGreaterThanOrEqual(300 - 20);
  });
});
