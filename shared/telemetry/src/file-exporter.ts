import { mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SpanKind, SpanStatusCode, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** One line of a span file. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** null for a root span. */
  parentSpanId: string | null;
  name: string;
  kind: keyof typeof SpanKind;
  /** ISO 8601, millisecond precision. */
  startTime: string;
  durationMs: number;
  status: { code: keyof typeof SpanStatusCode; message?: string };
  attributes: Record<string, unknown>;
  events: { name: string; time: string; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  resource: Record<string, unknown>;
  /** The instrumentation that made the span (`@opentelemetry/instrumentation-http`, `cachelab`, ...). */
  scope: string;
}

// Enough of the resource to tell which service, version and instance a span came from.
const RESOURCE_KEYS = ['service.name', 'service.version', 'service.instance.id'];

function isoTime(time: HrTime): string {
  return new Date(hrTimeToMilliseconds(time)).toISOString();
}

export function toSpanRecord(span: ReadableSpan): SpanRecord {
  const { traceId, spanId } = span.spanContext();
  const resource: Record<string, unknown> = {};
  for (const key of RESOURCE_KEYS) {
    const value = span.resource.attributes[key];
    if (value !== undefined) resource[key] = value;
  }
  return {
    traceId,
    spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? null,
    name: span.name,
    kind: SpanKind[span.kind] as keyof typeof SpanKind,
    startTime: isoTime(span.startTime),
    durationMs: hrTimeToMilliseconds(span.duration),
    status: {
      code: SpanStatusCode[span.status.code] as keyof typeof SpanStatusCode,
      ...(span.status.message ? { message: span.status.message } : {}),
    },
    attributes: { ...span.attributes },
    events: span.events.map((event) => ({
      name: event.name,
      time: isoTime(event.time),
      attributes: { ...event.attributes },
    })),
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      attributes: { ...link.attributes },
    })),
    resource,
    scope: span.instrumentationScope.name,
  };
}

/**
 * Writes spans as JSON lines, one span per line, for runs without a collector: `jq` and tests
 * read the file directly. Each batch is one append, so several processes of one service may
 * share a file: their batches interleave, their lines do not.
 */
export class JsonLinesSpanExporter implements SpanExporter {
  // Appends are chained so that batches land in the order they were exported.
  private pending: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(readonly filePath: string) {
    mkdirSync(dirname(filePath), { recursive: true });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('span exporter is shut down') });
      return;
    }
    const lines = spans.map((span) => `${JSON.stringify(toSpanRecord(span))}\n`).join('');
    this.pending = this.pending.then(() =>
      appendFile(this.filePath, lines).then(
        () => resultCallback({ code: ExportResultCode.SUCCESS }),
        (error: unknown) =>
          resultCallback({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) }),
      ),
    );
  }

  forceFlush(): Promise<void> {
    return this.pending;
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.pending;
  }
}
