import express, { type Express, type RequestHandler } from 'express';
import { pinoHttp, startTime } from 'pino-http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLogger, type Logger } from '@cachelab/telemetry';
import { HttpError } from './errors';
import { errorHandler, notFound } from './error-handler';
import { mountHealth, type Readiness } from './health';

export interface AppOptions {
  serviceName: string;
  /** Largest accepted JSON body (bytes, or a string such as '64kb'); larger ones get 413. */
  bodyLimit?: string | number;
  /** Answers GET /readyz: 200 when every check is true, else 503 naming the failing ones. */
  readiness: Readiness;
  /** A check slower than this counts as down, so a hung dependency answers 503 rather than hanging. */
  readinessTimeoutMs?: number;
  /** Requests slower than this are logged at warn even when the level is info. */
  slowRequestMs?: number;
  routes: (app: Express) => void;
  logger?: Logger;
}

const JSON_TYPES = ['application/json', 'application/*+json'];
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}

// express.json skips bodies of other types, which would reach the route as an empty body.
const requireJson: RequestHandler = (req, _res, next) => {
  if (BODY_METHODS.has(req.method) && hasBody(req) && !req.is(JSON_TYPES)) {
    throw new HttpError(415, 'unsupported_media_type', 'Request body must be application/json');
  }
  next();
};

/**
 * Quiet by default, because benchmarks run through here: a line per request only at debug.
 * Unexpected errors and 5xx HttpErrors (res.err, with the stack) at error; other 5xx such as a
 * failing /readyz, and slow requests, at warn.
 */
function requestLogger(logger: Logger, slowRequestMs: number) {
  return pinoHttp({
    logger,
    quietReqLogger: true,
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) => {
      if (error || res.err) return 'error';
      if (res.statusCode >= 500 || Date.now() - res[startTime] >= slowRequestMs) return 'warn';
      return 'debug';
    },
    // Without res.err, pino-http invents an Error (with its own stack) for every 5xx.
    customErrorObject: (_req, res, _error, value: Record<string, unknown>) => (res.err ? value : { ...value, err: undefined }),
  });
}

/** An Express 5 app with JSON parsing, JSON errors, /healthz, /readyz and /metrics. */
export function createApp(options: AppOptions): Express {
  const logger = options.logger ?? createLogger(options.serviceName);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(requestLogger(logger, options.slowRequestMs ?? 1000));
  mountHealth(app, options.readiness, options.readinessTimeoutMs ?? 2000);
  app.use(requireJson);
  app.use(express.json({ limit: options.bodyLimit ?? '64kb', strict: true, type: JSON_TYPES }));
  options.routes(app);
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
