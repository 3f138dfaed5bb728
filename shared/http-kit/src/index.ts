export { createApp, type AppOptions } from './app';
export { DEFAULT_RETRY_AFTER_SECONDS, HttpError, errorBody, sendError, unavailable, type ErrorBody } from './errors';
export { databaseUnavailable, toHttpError } from './error-handler';
export { parse, body, params, query, intId, validationError, type IssueDetail } from './validate';
export type { Readiness } from './health';
export { serve, type ServeOptions, type Served } from './serve';
export { rateLimit, type RateLimitDecision, type RateLimiter } from './rate-limit';
