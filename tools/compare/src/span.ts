/**
 * One span as the comparison reads it, whichever store it came from. Attribute values are
 * strings, as Zipkin keeps its tags; span files are converted to the same form, so that every
 * figure is computed by one piece of code.
 */
export interface Span {
  traceId: string;
  spanId: string;
  /** null for the root of a trace. */
  parentId: string | null;
  /** As recorded; Zipkin stores names in lower case, so compare names with {@link nameIs}. */
  name: string;
  kind: 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER' | 'INTERNAL';
  /** `service.name` of the process that recorded the span: `user-service`. */
  service: string;
  /** Epoch milliseconds. */
  startMs: number;
  durationMs: number;
  /** Status ERROR (an exception, or a SERVER span that answered 5xx). */
  error: boolean;
  attributes: Record<string, string>;
}

export type SpanSource = 'zipkin' | 'files';

/** Span names compared without case (Zipkin lowercases them). */
export const nameIs = (span: Span, name: string): boolean => span.name.toLowerCase() === name.toLowerCase();
export const nameStarts = (span: Span, prefix: string): boolean => span.name.toLowerCase().startsWith(prefix.toLowerCase());

/** What a span file or Zipkin tag holds, as a string (arrays joined as OpenTelemetry's Zipkin exporter does). */
export function attributeString(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

/**
 * The span's name as a reader wants it: SERVER spans are rebuilt from their method and route
 * attributes (`GET /users/:id`), which keep their case in Zipkin, where the name does not.
 */
export function displayName(span: Span): string {
  const method = span.attributes['http.request.method'];
  const route = span.attributes['http.route'];
  if (span.kind === 'SERVER' && method && route) return `${method} ${route}`;
  return span.name;
}
