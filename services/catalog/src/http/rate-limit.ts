import type { SlidingWindowRateLimiter } from '@cachelab/cache';
import { HttpError } from '@cachelab/http-kit';
import type { RequestHandler } from 'express';

/** 429 with Retry-After (seconds, rounded up) when the client is over its write budget. */
export function rateLimit(limiter: SlidingWindowRateLimiter): RequestHandler {
  return async (req, res, next) => {
    const decision = await limiter.check(req.ip ?? 'unknown');
    res.setHeader('x-ratelimit-remaining', String(decision.remaining));
    if (!decision.allowed) {
      res.setHeader('retry-after', String(Math.ceil(decision.retryAfterMs / 1000)));
      throw new HttpError(429, 'rate_limited', `Too many writes; retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`);
    }
    next();
  };
}
