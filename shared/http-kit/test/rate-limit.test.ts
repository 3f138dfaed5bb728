import { describe, expect, it } from 'vitest';
import { rateLimit, type RateLimitDecision, type RateLimiter } from '../src';
import { errorOf, startApp } from './helpers';

/** A limiter that answers from a script and records who asked (the Redis one is tested in @cachelab/cache). */
function scripted(decisions: RateLimitDecision[]): RateLimiter & { clients: string[] } {
  const clients: string[] = [];
  return {
    clients,
    async check(clientId) {
      clients.push(clientId);
      return decisions.shift()!;
    },
  };
}

async function limitedApp(limiter: RateLimiter) {
  return startApp({
    routes: (app) => {
      app.post('/writes', rateLimit(limiter), (_req, res) => {
        res.status(201).json({ ok: true });
      });
    },
  });
}

describe('rateLimit', () => {
  it('lets an allowed request through with the remaining budget, keyed by client IP', async () => {
    const limiter = scripted([{ allowed: true, remaining: 2, retryAfterMs: 0 }]);
    const { url } = await limitedApp(limiter);

    const response = await fetch(`${url}/writes`, { method: 'POST' });

    expect(response.status).toBe(201);
    expect(response.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(response.headers.get('retry-after')).toBeNull();
    expect(limiter.clients).toEqual(['127.0.0.1']);
  });

  it('refuses a denied request with 429 rate_limited and Retry-After in whole seconds, rounded up', async () => {
    const { url } = await limitedApp(scripted([{ allowed: false, remaining: 0, retryAfterMs: 1_001 }]));

    const response = await fetch(`${url}/writes`, { method: 'POST' });

    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(await errorOf(response)).toEqual({ code: 'rate_limited', message: 'Too many writes; retry in 2 s' });
  });

  it('answers a failing limiter as any unexpected error: 500, not a request let through', async () => {
    const { url } = await limitedApp({ check: () => Promise.reject(new Error('limiter store down')) });

    const response = await fetch(`${url}/writes`, { method: 'POST' });

    expect(response.status).toBe(500);
    expect((await errorOf(response)).code).toBe('internal');
  });
});
