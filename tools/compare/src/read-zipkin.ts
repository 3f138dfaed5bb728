import type { Span } from './span';

/** A span as Zipkin's v2 API answers it (https://zipkin.io/zipkin-api/#/default/get_traces). */
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  /** Epoch microseconds. */
  timestamp?: number;
  /** Microseconds. */
  duration?: number;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

export interface ZipkinQuery {
  /** `http://127.0.0.1:9411` */
  url: string;
  sinceMs: number;
  untilMs: number;
  /** Most traces asked per service. */
  limit: number;
  timeoutMs?: number;
}

export const DEFAULT_ZIPKIN_URL = 'http://127.0.0.1:9411';

export function fromZipkinSpan(span: ZipkinSpan): Span {
  const tags = span.tags ?? {};
  return {
    traceId: span.traceId,
    spanId: span.id,
    parentId: span.parentId ?? null,
    name: span.name ?? '',
    kind: span.kind ?? 'INTERNAL',
    service: span.localEndpoint?.serviceName ?? tags['service.name'] ?? 'unknown',
    startMs: (span.timestamp ?? 0) / 1000,
    durationMs: (span.duration ?? 0) / 1000,
    // OpenTelemetry's Zipkin exporter writes the status as `otel.status_code` and its message as `error`.
    error: tags['otel.status_code'] === 'ERROR' || tags.error !== undefined,
    attributes: tags,
  };
}

async function getJson<T>(url: string, timeoutMs: number): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  return (await response.json()) as T;
}

/** True when a Zipkin server answers at `url`. */
export async function zipkinAnswers(url: string, timeoutMs = 1_500): Promise<boolean> {
  try {
    await getJson<string[]>(`${url}/api/v2/services`, timeoutMs);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every span of the traces that had a span in [sinceMs, untilMs], service by service
 * (`/api/v2/services`, then `/api/v2/traces?serviceName=...&endTs=...&lookback=...&limit=...`).
 * A trace that crosses services comes back once per service: spans are kept once.
 */
export async function readZipkin({ url, sinceMs, untilMs, limit, timeoutMs = 60_000 }: ZipkinQuery): Promise<Span[]> {
  const services = await getJson<string[]>(`${url}/api/v2/services`, timeoutMs);
  const seen = new Set<string>();
  const spans: Span[] = [];
  const endTs = Math.ceil(untilMs);
  const lookback = Math.max(1, endTs - Math.floor(sinceMs));
  for (const service of services) {
    const query = new URLSearchParams({ serviceName: service, endTs: String(endTs), lookback: String(lookback), limit: String(limit) });
    const traces = await getJson<ZipkinSpan[][]>(`${url}/api/v2/traces?${query}`, timeoutMs);
    for (const trace of traces) {
      for (const raw of trace) {
        // Zipkin may hold a span twice (client and server halves sharing an id); keep one per service.
        const key = `${raw.traceId}/${raw.id}/${raw.localEndpoint?.serviceName ?? ''}`;
        if (seen.has(key)) continue;
        seen.add(key);
        spans.push(fromZipkinSpan(raw));
      }
    }
  }
  return spans;
}
