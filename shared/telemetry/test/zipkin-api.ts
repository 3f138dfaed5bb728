/** A span as Zipkin's v2 API answers it. */
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  timestamp: number;
  duration: number;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
  annotations?: { timestamp: number; value: string }[];
}

export interface TraceQuery {
  serviceName: string;
  /** Zipkin's tag search, e.g. `cache.result=miss and cache.pattern=cache-aside`. */
  annotationQuery?: string;
  spanName?: string;
  /** Only traces that started in the last `lookback` ms (default: an hour). */
  lookback?: number;
  limit?: number;
}

/** GET /api/v2/traces: the traces matching the query, newest first. */
export async function searchTraces(baseUrl: string, query: TraceQuery): Promise<ZipkinSpan[][]> {
  const params = new URLSearchParams({ serviceName: query.serviceName, limit: String(query.limit ?? 100), endTs: String(Date.now()) });
  params.set('lookback', String(query.lookback ?? 3_600_000));
  if (query.annotationQuery) params.set('annotationQuery', query.annotationQuery);
  if (query.spanName) params.set('spanName', query.spanName);
  const response = await fetch(`${baseUrl}/api/v2/traces?${params}`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`GET /api/v2/traces answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as ZipkinSpan[][];
}

/**
 * Polls the search until a trace satisfies `match` (spans reach Zipkin a batch delay after they
 * end), or fails after `timeoutMs` saying what it looked for.
 */
export async function waitForTrace(
  baseUrl: string,
  query: TraceQuery,
  match: (trace: ZipkinSpan[]) => boolean,
  timeoutMs = 15_000,
): Promise<ZipkinSpan[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await searchTraces(baseUrl, query)).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no trace in Zipkin after ${timeoutMs} ms for ${JSON.stringify(query)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
