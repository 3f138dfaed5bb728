import { mkdirSync, statSync } from 'node:fs';
import { appendFile, rename, stat } from 'node:fs/promises';
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

/** Size of the file at `path`, 0 when there is none. */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Writes spans as JSON lines, one span per line, for runs without a collector: `jq` and tests
 * read the file directly. Each batch is one append, so several processes of one service may
 * share a file: their batches interleave, their lines do not.
 *
 * A file that would grow past `maxBytes` (0: no limit) is first renamed to `<file>.1`, replacing
 * the previous one, so a long load test keeps at most about twice `maxBytes` of spans on disk.
 */
export class JsonLinesSpanExporter implements SpanExporter {
  // Appends are chained so that batches land in the order they were exported.
  private pending: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Bytes in the file as far as this process knows (other processes may have appended or rotated). */
  private size: number;

  constructor(
    readonly filePath: string,
    readonly maxBytes = 0,
  ) {
    mkdirSync(dirname(filePath), { recursive: true });
    this.size = sizeOf(filePath);
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('span exporter is shut down') });
      return;
    }
    const lines = spans.map((span) => `${JSON.stringify(toSpanRecord(span))}\n`).join('');
    this.pending = this.pending.then(() =>
      this.append(lines).then(
        () => resultCallback({ code: ExportResultCode.SUCCESS }),
        (error: unknown) =>
          resultCallback({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) }),
      ),
    );
  }

  private async append(lines: string): Promise<void> {
    const bytes = Buffer.byteLength(lines);
    if (this.maxBytes > 0 && this.size + bytes > this.maxBytes) {
      // Another process of the service may have rotated already: ask the file, not the counter.
      this.size = (await stat(this.filePath).catch(() => undefined))?.size ?? 0;
      if (this.size > 0 && this.size + bytes > this.maxBytes) {
        await rename(this.filePath, `${this.filePath}.1`).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
        this.size = 0;
      }
    }
    await appendFile(this.filePath, lines);
    this.size += bytes;
  }

  forceFlush(): Promise<void> {
    return this.pending;
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.pending;
  }
}
