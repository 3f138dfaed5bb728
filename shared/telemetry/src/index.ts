export { startTelemetry, telemetryEnabled, type TelemetryHandle, type TelemetryOptions } from './sdk';
export { recordError, tracer, withSpan } from './tracing';
export { httpTracer, serverSpans } from './server-span';
export * from './attributes';
export {
  breakerStateValues,
  cacheOperationDuration,
  cacheRequests,
  cacheWriteFailures,
  circuitBreakerState,
  metricsContentType,
  metricsRegistry,
  metricsText,
  originQueries,
  rateLimited,
  setCircuitBreakerState,
  setMetricsService,
} from './metrics';
export { parseMetricsText, readCounter, type Sample } from './prometheus-text';
export { createLogger, logger, type Logger } from './logger';
export { stateDir, traceFilePath } from './state-dir';
export type { SpanRecord } from './file-exporter';
