import { randomUUID } from 'node:crypto';
import { rateLimited, withSpan } from '@cachelab/telemetry';
import { CacheUnavailableError } from './circuit-breaker';
import { encodeKeyPart, entityKey } from './keys';
import type { CacheStore } from './store';

export interface RateLimitDecision {
  allowed: boolean;
  remaining: number;
  /** When denied: how long until the oldest request in the window leaves it. */
  retryAfterMs: number;
  /** 'bypass' when Redis is unavailable and the limiter failed open. */
  result: 'allowed' | 'limited' | 'bypass';
}

/**
 * Sliding-window rate limiting on a sorted set (sliding-window-1.lua): at most `limit` requests
 * per client in any `windowMs`, counted across every instance of the service.
 *
 * A fixed window (INCR + EXPIRE per minute) lets a client send 2x the limit across a window
 * boundary; the sorted set of request times has no boundary. The cost is one member per request
 * in the window, which is fine for per-client write limits.
 *
 * The client's window is `ratelimit:{<client>}:<name>`. The client id is encoded into a safe key
 * part (`ratelimit:{_3a_3a1}:catalog-writes` for `::1`): an IPv6 address holds colons, which
 * would change the key's shape, and a 500 for every IPv6 writer is worse than no limit at all.
 *
 * When Redis is unavailable the limiter fails open: rate limiting protects capacity, and refusing
 * every write because the limiter's store is down would turn a cache outage into an outage.
 */
export class SlidingWindowRateLimiter {
  constructor(
    private readonly store: CacheStore,
    private readonly options: { name: string; limit: number; windowMs: number },
  ) {}

  /** `clientId` is any text: an IPv4 or IPv6 address, an API key (encoded into the key, see encodeKeyPart). */
  async check(clientId: string): Promise<RateLimitDecision> {
    const key = entityKey('ratelimit', encodeKeyPart(clientId), this.options.name);
    return withSpan('ratelimit.check', { 'cache.pattern': 'rate-limit', 'cache.key': key }, async (span) => {
      const decision = await this.decide(key);
      span.setAttributes({ 'cache.result': decision.result, 'ratelimit.allowed': decision.allowed, 'ratelimit.remaining': decision.remaining });
      if (!decision.allowed) rateLimited.inc({ route: this.options.name });
      return decision;
    });
  }

  private async decide(key: string): Promise<RateLimitDecision> {
    const { limit, windowMs } = this.options;
    try {
      const [allowed, remaining, retryAfterMs] = await this.store.run((redis) =>
        redis.slidingWindow(key, windowMs, limit, randomUUID()),
      );
      return { allowed: allowed === 1, remaining, retryAfterMs, result: allowed === 1 ? 'allowed' : 'limited' };
    } catch (error) {
      if (error instanceof CacheUnavailableError) return { allowed: true, remaining: limit, retryAfterMs: 0, result: 'bypass' };
      throw error;
    }
  }
}
