import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@cachelab/telemetry';

// Increments per database statement = persisted / cachelab_origin_queries_total{operation="counters.apply"}:
// the figure write-behind exists for (one statement per view without it).

/** Increments acknowledged to a client: counted in Redis (or, for a sale during a Redis outage, in Postgres). */
export const incrementsRecorded = new Counter({
  name: 'cachelab_write_behind_recorded_total',
  help: 'Increments acknowledged on the request path, by counter and where they were counted (redis, database).',
  labelNames: ['counter', 'store'] as const,
  registers: [metricsRegistry],
});

/** Increments the flush wrote to Postgres (each exactly once). */
export const incrementsPersisted = new Counter({
  name: 'cachelab_write_behind_persisted_total',
  help: 'Increments written to Postgres by the write-behind flush, by counter.',
  labelNames: ['counter'] as const,
  registers: [metricsRegistry],
});

export const batchesFlushed = new Counter({
  name: 'cachelab_write_behind_batches_total',
  help: 'Batches handled by the flush: applied, duplicate (already in Postgres: a retry), gone (acknowledged by another flush).',
  labelNames: ['result'] as const,
  registers: [metricsRegistry],
});

export const flushDuration = new Histogram({
  name: 'cachelab_write_behind_flush_duration_seconds',
  help: 'Duration of one flush job (claim, apply and acknowledge every open batch of a shard).',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});
