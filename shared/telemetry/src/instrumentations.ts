import type { InstrumentationConfigMap } from '@opentelemetry/auto-instrumentations-node';

type InstrumentationName = keyof InstrumentationConfigMap;

/**
 * Which instrumentations of the auto-instrumentations bundle run: the libraries the services
 * talk through. The rest (fs, dns, net, undici, ...) would bury the cache spans under noise. The
 * list is exhaustive on purpose: when a new bundle version adds an instrumentation, this stops
 * compiling instead of silently turning it on.
 */
const ENABLED: Record<InstrumentationName, boolean> = {
  // Outgoing requests only (CLIENT spans, `traceparent` on calls to other services): the SERVER
  // span comes from serverSpans() (server-span.ts), at a fraction of the cost.
  '@opentelemetry/instrumentation-http': true,
  // Its handler spans repeat the SERVER span's route; serverSpans() sets `http.route` itself.
  '@opentelemetry/instrumentation-express': false,
  '@opentelemetry/instrumentation-ioredis': true,
  '@opentelemetry/instrumentation-pg': true,

  '@opentelemetry/instrumentation-amqplib': false,
  '@opentelemetry/instrumentation-aws-lambda': false,
  '@opentelemetry/instrumentation-aws-sdk': false,
  '@opentelemetry/instrumentation-bunyan': false,
  '@opentelemetry/instrumentation-cassandra-driver': false,
  '@opentelemetry/instrumentation-connect': false,
  '@opentelemetry/instrumentation-cucumber': false,
  '@opentelemetry/instrumentation-dataloader': false,
  '@opentelemetry/instrumentation-dns': false,
  '@opentelemetry/instrumentation-fs': false,
  '@opentelemetry/instrumentation-generic-pool': false,
  '@opentelemetry/instrumentation-graphql': false,
  '@opentelemetry/instrumentation-grpc': false,
  '@opentelemetry/instrumentation-hapi': false,
  '@opentelemetry/instrumentation-host-metrics': false,
  '@opentelemetry/instrumentation-kafkajs': false,
  '@opentelemetry/instrumentation-knex': false,
  '@opentelemetry/instrumentation-koa': false,
  '@opentelemetry/instrumentation-lru-memoizer': false,
  '@opentelemetry/instrumentation-memcached': false,
  '@opentelemetry/instrumentation-mongodb': false,
  '@opentelemetry/instrumentation-mongoose': false,
  '@opentelemetry/instrumentation-mysql': false,
  '@opentelemetry/instrumentation-mysql2': false,
  '@opentelemetry/instrumentation-nestjs-core': false,
  '@opentelemetry/instrumentation-net': false,
  '@opentelemetry/instrumentation-openai': false,
  '@opentelemetry/instrumentation-oracledb': false,
  // Our logger injects trace ids itself (logger.ts); this one would also forward logs to OTLP.
  '@opentelemetry/instrumentation-pino': false,
  '@opentelemetry/instrumentation-redis': false,
  '@opentelemetry/instrumentation-restify': false,
  '@opentelemetry/instrumentation-router': false,
  // Runtime metrics are Prometheus' job here (collectDefaultMetrics in metrics.ts).
  '@opentelemetry/instrumentation-runtime-node': false,
  '@opentelemetry/instrumentation-socket.io': false,
  '@opentelemetry/instrumentation-tedious': false,
  '@opentelemetry/instrumentation-undici': false,
  '@opentelemetry/instrumentation-winston': false,
};

const TUNING: InstrumentationConfigMap = {
  '@opentelemetry/instrumentation-http': { disableIncomingRequestInstrumentation: true },
  // Without a parent, a Redis command or SQL query comes from a probe or a background timer;
  // code that matters wraps its work in withSpan and gets its commands as children.
  '@opentelemetry/instrumentation-ioredis': { requireParentSpan: true },
  '@opentelemetry/instrumentation-pg': { requireParentSpan: true },
};

/** The argument for `getNodeAutoInstrumentations`. */
export function autoInstrumentationConfig(): InstrumentationConfigMap {
  const config: Record<string, object> = {};
  for (const [name, enabled] of Object.entries(ENABLED)) {
    config[name] = { ...TUNING[name as InstrumentationName], enabled };
  }
  return config as InstrumentationConfigMap;
}
