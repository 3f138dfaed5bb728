import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, trace } from '@opentelemetry/api';
import { TracerProvider, type ReadableSpan, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace';

/** Keeps every span in memory: the started ones (a test can wait for a step to begin) and the ended ones. */
class SpanRecorder implements SpanProcessor {
  readonly started: Span[] = [];
  readonly ended: ReadableSpan[] = [];
  onStart(span: Span): void {
    this.started.push(span);
  }
  onEnd(span: ReadableSpan): void {
    this.ended.push(span);
  }
  forceFlush = async () => undefined;
  shutdown = async () => undefined;
}

/**
 * Records every span this test file makes: a real OpenTelemetry SDK behind the same global API
 * the library's `cachelab` tracer uses, with the async-hooks context manager the services run.
 */
export function recordSpans() {
  const recorder = new SpanRecorder();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [recorder] }));
  return {
    /** True once a span named `name` has started (it may still be running). */
    started: (name: string) => recorder.started.some((span) => span.name === name),
    /** Ended spans, optionally only those named `name` (or starting with it, for `cache.get `). */
    spans(name?: string): ReadableSpan[] {
      const all = recorder.ended;
      return name === undefined ? all : all.filter((span) => span.name === name || (name.endsWith(' ') && span.name.startsWith(name)));
    },
    reset: () => {
      recorder.started.length = 0;
      recorder.ended.length = 0;
    },
  };
}

export const idOf = (span: ReadableSpan) => span.spanContext().spanId;
export const traceOf = (span: ReadableSpan) => span.spanContext().traceId;
