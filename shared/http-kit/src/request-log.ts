import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp, startTime } from 'pino-http';
import type { Logger } from '@cachelab/telemetry';

/**
 * Request logging, quiet by default because benchmarks run through here: a line per request only
 * at debug. Unexpected errors and 5xx HttpErrors (res.err, with the stack) at error; other 5xx
 * such as a failing /readyz, and slow requests, at warn.
 *
 * At debug that is pino-http. Below debug it would log nothing for most requests, yet it builds
 * two child loggers for each one (about 18 µs of CPU per request, docs/benchmarks.md), so at info
 * and above `problemLog` writes the same error and warn lines from one 'close' listener.
 */
export function requestLog(logger: Logger, slowRequestMs: number): RequestHandler {
  return logger.isLevelEnabled('debug') ? everyRequest(logger, slowRequestMs) : problemLog(logger, slowRequestMs);
}

type Level = 'error' | 'warn' | 'debug';

function levelOf(res: ServerResponse, elapsedMs: number, slowRequestMs: number, error?: Error): Level {
  if (error || res.err) return 'error';
  if (res.statusCode >= 500 || elapsedMs >= slowRequestMs) return 'warn';
  return 'debug';
}

const reqFields = (req: IncomingMessage) => ({ method: req.method, url: req.url });

function everyRequest(logger: Logger, slowRequestMs: number): RequestHandler {
  return pinoHttp({
    logger,
    quietReqLogger: true,
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) => levelOf(res, Date.now() - res[startTime], slowRequestMs, error),
    // Without res.err, pino-http invents an Error (with its own stack) for every 5xx.
    customErrorObject: (_req, res, _error, value: Record<string, unknown>) => (res.err ? value : { ...value, err: undefined }),
  });
}

function problemLog(logger: Logger, slowRequestMs: number): RequestHandler {
  return (req, res, next) => {
    const started = Date.now();
    res.once('close', () => {
      const responseTime = Date.now() - started;
      const level = levelOf(res, responseTime, slowRequestMs);
      if (level === 'debug') return;
      const line = { req: reqFields(req), res: { statusCode: res.statusCode }, responseTime, ...(res.err ? { err: res.err } : {}) };
      logger[level](line, res.err ? 'request errored' : 'request completed');
    });
    next();
  };
}
