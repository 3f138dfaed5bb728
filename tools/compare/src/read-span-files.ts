import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SpanRecord } from '@cachelab/telemetry';
import { attributeString, type Span } from './span';

const START_TIME = '"startTime":"';

export interface SpanFileQuery {
  /** The folder of the span files: `$CACHELAB_STATE_DIR/traces`. */
  dir: string;
  /** Spans that started before this (epoch ms) are left out. */
  sinceMs: number;
  untilMs: number;
}

/** The files of one folder in reading order: each service's rotated `<service>.jsonl.1`, then `<service>.jsonl`. */
export function spanFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir).filter((name) => /\.jsonl(\.1)?$/.test(name));
  return names.sort((a, b) => a.replace(/\.1$/, '').localeCompare(b.replace(/\.1$/, '')) || (a.endsWith('.1') ? -1 : 1)).map((name) => join(dir, name));
}

export function fromSpanRecord(record: SpanRecord, fallbackService: string): Span {
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(record.attributes)) {
    if (value !== undefined && value !== null) attributes[key] = attributeString(value);
  }
  const service = record.resource?.['service.name'];
  return {
    traceId: record.traceId,
    spanId: record.spanId,
    parentId: record.parentSpanId ?? null,
    name: record.name,
    kind: record.kind,
    service: typeof service === 'string' ? service : fallbackService,
    startMs: Date.parse(record.startTime),
    durationMs: record.durationMs,
    error: record.status?.code === 'ERROR',
    attributes,
  };
}

/**
 * Reads the span files that the services write when no trace collector takes their spans
 * (shared/telemetry's JsonLinesSpanExporter), a line at a time: they may hold hundreds of
 * megabytes. A line cut short (a batch being appended while we read) is skipped.
 */
export async function readSpanFiles({ dir, sinceMs, untilMs }: SpanFileQuery): Promise<Span[]> {
  const spans: Span[] = [];
  for (const file of spanFiles(dir)) {
    const fallbackService = file.replace(/^.*\//, '').replace(/\.jsonl(\.1)?$/, '');
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line) continue;
      // Most lines of a long-lived file are outside the window: skip them without parsing.
      const at = line.indexOf(START_TIME);
      if (at !== -1) {
        const startMs = Date.parse(line.slice(at + START_TIME.length, at + START_TIME.length + 24));
        if (startMs < sinceMs || startMs > untilMs) continue;
      }
      let record: SpanRecord;
      try {
        record = JSON.parse(line) as SpanRecord;
      } catch {
        continue;
      }
      const span = fromSpanRecord(record, fallbackService);
      if (span.startMs >= sinceMs && span.startMs <= untilMs) spans.push(span);
    }
  }
  return spans;
}
