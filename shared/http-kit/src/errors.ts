import type { Response } from 'express';

/** The one error shape every endpoint answers with. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/**
 * An error meant for the client: its status, code and message are sent as they are, so the
 * message must not carry internals. Anything else thrown from a route becomes a generic 500.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Sent as `Retry-After` (seconds); a 503 without one gets DEFAULT_RETRY_AFTER_SECONDS. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** What a 503 tells the client to wait when nothing more precise is known. */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;

/**
 * A dependency (the database, Redis, another service) cannot serve the request now: 503 with
 * Retry-After. The client may retry; nothing is wrong with its request.
 */
export function unavailable(code: string, message: string, retryAfterSeconds = DEFAULT_RETRY_AFTER_SECONDS): HttpError {
  return new HttpError(503, code, message, undefined, retryAfterSeconds);
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export function sendError(res: Response, error: HttpError): void {
  const retryAfter = error.retryAfterSeconds ?? (error.status === 503 ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
  // A route may have set its own (inventory's counters do): keep it.
  if (retryAfter !== undefined && !res.hasHeader('retry-after')) res.setHeader('retry-after', String(Math.max(0, Math.ceil(retryAfter))));
  res.status(error.status).json(errorBody(error.code, error.message, error.details));
}
