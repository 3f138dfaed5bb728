import { isSpanContextValid, trace, type DiagLogger } from '@opentelemetry/api';
import { pino, stdTimeFunctions, type Logger } from 'pino';

export type { Logger } from 'pino';

/** trace_id and span_id of the active span, so that a log line leads to its trace. */
function activeSpanFields(): Record<string, string> {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/** A JSON logger for one service; its level comes from `LOG_LEVEL` (default `info`). */
export function createLogger(serviceName: string): Logger {
  return pino({
    level: process.env.LOG_LEVEL ?? 'info',
    base: { service: serviceName, pid: process.pid },
    timestamp: stdTimeFunctions.isoTime,
    mixin: activeSpanFields,
  });
}

/** For code that does not know its service (shared libraries, scripts). */
export const logger: Logger = createLogger(process.env.OTEL_SERVICE_NAME ?? 'cachelab');

/**
 * Routes OpenTelemetry's own diagnostics (a failed export, a full span queue) into `log`, so
 * that they are JSON lines like everything else instead of stray console output.
 */
export function otelDiagLogger(log: Logger): DiagLogger {
  const forward =
    (level: 'error' | 'warn' | 'info' | 'debug' | 'trace') =>
    (message: string, ...args: unknown[]) => {
      // pino serialises an Error only under `err`; anything else rides along as `args`.
      const err = args.find((arg) => arg instanceof Error);
      const rest = args.filter((arg) => arg !== err);
      log[level]({ component: 'otel', ...(err ? { err } : {}), ...(rest.length > 0 ? { args: rest } : {}) }, message);
    };
  return {
    error: forward('error'),
    warn: forward('warn'),
    info: forward('info'),
    debug: forward('debug'),
    verbose: forward('trace'),
  };
}
