import { databaseFailureOf } from '@cachelab/db';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { HttpError, sendError, unavailable } from './errors';
import { validationError } from './validate';

/** What body-parser (and http-errors) put on the errors they raise. */
interface ParserError {
  type?: unknown;
  status?: unknown;
  expose?: unknown;
  limit?: unknown;
  message: string;
}

const PARSER_ERRORS: Record<string, (error: ParserError) => HttpError> = {
  'entity.parse.failed': () => new HttpError(400, 'malformed_json', 'Request body is not valid JSON'),
  'entity.too.large': (error) =>
    new HttpError(413, 'payload_too_large', `Request body is larger than ${String(error.limit)} bytes`),
  'encoding.unsupported': () => new HttpError(415, 'unsupported_media_type', 'Unsupported content encoding'),
  'charset.unsupported': () => new HttpError(415, 'unsupported_media_type', 'Unsupported charset'),
  'request.aborted': () => new HttpError(400, 'request_aborted', 'Request aborted'),
  'request.size.invalid': () => new HttpError(400, 'bad_request', 'Request size did not match Content-Length'),
};

/**
 * The one mapping of "the database is down or hung" for every service: whatever route or cache
 * layer the error came through, a request that needed Postgres and could not get an answer is a
 * 503 with Retry-After, never a 500 (see isDatabaseUnavailable in @cachelab/db).
 */
export function databaseUnavailable(error: unknown): HttpError | undefined {
  const failure = databaseFailureOf(error);
  if (failure === undefined) return undefined;
  return unavailable(
    'database_unavailable',
    failure === 'timeout' ? 'The database did not answer in time; retry later' : 'The database cannot be reached; retry later',
  );
}

/** The client-facing form of `error`, or undefined when it is a bug (a 500). */
export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof z.core.$ZodError) return validationError(error);
  const database = databaseUnavailable(error);
  if (database) return database;
  if (!(error instanceof Error)) return undefined;
  const parserError = error as ParserError;
  const known = typeof parserError.type === 'string' ? PARSER_ERRORS[parserError.type] : undefined;
  if (known) return known(parserError);
  const status = parserError.status;
  // The router's "Failed to decode param": a 400, but not marked safe to show.
  if (error instanceof URIError && status === 400) {
    return new HttpError(400, 'bad_request', 'Malformed percent-encoding in the URL');
  }
  // Other http-errors marked safe to show.
  if (parserError.expose === true && typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpError(status, 'bad_request', error.message);
  }
  return undefined;
}

export const notFound: RequestHandler = (req) => {
  throw new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`);
};

export const errorHandler: ErrorRequestHandler = (error, _req, res, next) => {
  const httpError = toHttpError(error);
  // pino-http logs res.err (with its stack) on the request's completion line.
  if (!httpError || httpError.status >= 500) res.err = error instanceof Error ? error : new Error(String(error));
  // Too late for a JSON body: Express's final handler closes the connection.
  if (res.headersSent) return next(error);
  sendError(res, httpError ?? new HttpError(500, 'internal', 'Internal server error'));
};
