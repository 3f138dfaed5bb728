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
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export function sendError(res: Response, error: HttpError): void {
  res.status(error.status).json(errorBody(error.code, error.message, error.details));
}
