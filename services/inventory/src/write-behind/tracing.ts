import { isSpanContextValid, TraceFlags, type Link, type Span } from '@opentelemetry/api';
import type { TraceRef } from '@cachelab/cache';

/** Span attributes of the write-behind spans, spelled once. */
export const WriteBehindAttributes = {
  counter: 'write_behind.counter',
  sku: 'write_behind.sku',
  shard: 'write_behind.shard',
  batchId: 'write_behind.batch_id',
  batchResult: 'write_behind.batch_result',
  batches: 'write_behind.batches',
  increments: 'write_behind.increments',
  deltas: 'write_behind.deltas',
  outcome: 'write_behind.outcome',
  jobId: 'messaging.message.id',
  attempt: 'write_behind.attempt',
  /** How many request spans a batch's span links to, and their trace ids (Zipkin keeps no links). */
  links: 'write_behind.links',
  linkedTraces: 'write_behind.linked_traces',
} as const;

/**
 * The context of a span that acknowledged an increment, when it is recorded (sampled): stored
 * beside the pending counters, it travels with the batch to the flush, which links back to it.
 */
export function traceRefOf(span: Span): TraceRef | undefined {
  const context = span.spanContext();
  if (!isSpanContextValid(context) || (context.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return { traceId: context.traceId, spanId: context.spanId };
}

/**
 * Span links from a flush to the requests whose increments it persisted. Links, not parents: one
 * flush persists the work of many traces, and each request's trace ended long before.
 */
/** The links' trace ids as one attribute value (comma-separated) for trace stores without links. */
export function linkedTraceIds(traces: TraceRef[]): string {
  return [...new Set(traces.map((ref) => ref.traceId))].join(',');
}

export function linksTo(traces: TraceRef[]): Link[] {
  return traces.map((ref) => ({
    context: { traceId: ref.traceId, spanId: ref.spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true },
    attributes: { 'write_behind.link': 'persisted-increment' },
  }));
}
