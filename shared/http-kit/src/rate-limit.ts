import type { RequestHandler } from 'express';
import { HttpError } from './errors';

/** What a limiter decided for one request; `SlidingWindowRateLimiter` of @cachelab/cache fits. */
export interface RateLimitDecision {
  allowed: boolean;
  remaining: number;
  /** When denied: how long until the client may try again. */
  retryAfterMs: number;
}

export interface RateLimiter {
  check(clientId: string): Promise<RateLimitDecision>;
}

/**
 * Limits requests per client IP: sets `x-ratelimit-remaining`, and answers 429 `rate_limited` with
 * Retry-After (seconds, rounded up) when the client is over its budget.
 */
export function rateLimit(limiter: RateLimiter): RequestHandler {
  return async (req, res, next) => {
    const decision = await limiter.check(req.ip ?? 'unknown');
    res.setHeader('x-ratelimit-remaining', String(decision.remaining));
    if (!decision.allowed) {
      const retryAfterSeconds = Math.ceil(decision.retryAfterMs / 1000);
      res.setHeader('retry-after', String(retryAfterSeconds));
      throw new HttpError(429, 'rate_limited', `Too many writes; retry in ${retryAfterSeconds} s`);
    }
    next();
  };
}
