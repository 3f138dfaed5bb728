import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/**
 * cachelab's own tracer. Obtained from the global API, so it is safe to create before
 * `startTelemetry` runs (it delegates once a provider is registered) and costs nothing when
 * telemetry is off.
 */
export const tracer = trace.getTracer('cachelab');

/**
 * Runs `fn` inside a new active span: spans started by `fn` (Redis and SQL calls included)
 * become its children. A thrown error is recorded on the span, marks it as failed and is
 * rethrown; the span always ends.
 */
export function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks `span` as failed by `error`, whatever was thrown. */
export function recordError(span: Span, error: unknown): void {
  if (error instanceof Error) {
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  } else {
    span.recordException(String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
  }
}
