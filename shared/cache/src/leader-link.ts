import type { Span, SpanContext } from '@opentelemetry/api';
import { CacheAttributes as A } from '@cachelab/telemetry';

/**
 * A single-flight follower did not load its value: another request of the same process did, in
 * another trace. The follower's span gets an OpenTelemetry span link to the span that produced
 * the value (the leader's `cache.origin.load`), so a trace viewer can jump from one to the
 * other. Zipkin's model has no links, so the leader's ids are also kept as attributes
 * (`cache.leader.trace_id`, `cache.leader.span_id`): searchable, and shown on the span.
 */
export function linkToLeader(span: Span, leader: SpanContext): void {
  span.addLink({ context: leader, attributes: { [A.link]: 'single-flight-leader' } });
  span.setAttributes({ [A.leaderTraceId]: leader.traceId, [A.leaderSpanId]: leader.spanId });
}
