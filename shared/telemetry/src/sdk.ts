import { loadConfig } from '@cachelab/config';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { z } from 'zod';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { JsonLinesSpanExporter } from './file-exporter';
import { autoInstrumentationConfig } from './instrumentations';
import { createLogger, otelDiagLogger, type Logger } from './logger';
import { setMetricsService } from './metrics';
import { traceFilePath } from './state-dir';
import { ZipkinSpanExporter } from './zipkin-exporter';

export interface TelemetryOptions {
  /** `user`, `catalog`, ...: the `service.name` of spans, the `service` label of metrics, the span file name. */
  serviceName: string;
  serviceVersion?: string;
}

export interface TelemetryHandle {
  /**
   * Exports the spans still buffered and stops tracing. Safe to call more than once; never
   * rejects (a failed export is logged).
   */
  shutdown(): Promise<void>;
}

// On globalThis rather than in a module variable: the OpenTelemetry API registers its provider
// process-wide, so a second copy of this module (a test runner re-importing it) must see the
// first start too.
const HANDLE = Symbol.for('cachelab.telemetry.handle');
type TelemetryGlobal = typeof globalThis & { [HANDLE]?: TelemetryHandle };

const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]*$/i;

/** False when `CACHELAB_TELEMETRY=off`: the benchmarks' baseline without any tracing. */
export function telemetryEnabled(): boolean {
  return process.env.CACHELAB_TELEMETRY?.trim().toLowerCase() !== 'off';
}

/**
 * Starts tracing for this process. Call it before anything requires ioredis or pg
 * (services import their `telemetry.ts` first in `main.ts`): instrumentation patches modules as
 * they are required, and a module loaded earlier is not traced (a warning names it).
 *
 * Spans go to `$CACHELAB_STATE_DIR/traces/<serviceName>.jsonl`, to Zipkin when
 * `CACHELAB_ZIPKIN_URL` is set and over OTLP/HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` when it is set
 * (see createExporters). With `CACHELAB_TELEMETRY=off` no SDK is
 * loaded at all and only the metrics' service label is set. A second call returns the first
 * call's handle.
 */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  const global = globalThis as TelemetryGlobal;
  const running = global[HANDLE];
  if (running) return running;

  if (!SERVICE_NAME.test(options.serviceName)) {
    throw new Error(`invalid service name ${JSON.stringify(options.serviceName)}: it names a file, use [a-z0-9._-]`);
  }
  setMetricsService(options.serviceName);
  const handle = telemetryEnabled() ? startSdk(options) : { shutdown: async () => {} };
  global[HANDLE] = handle;
  return handle;
}

// Modules the instrumentations patch when they are required (Prisma's instrumentation works
// through a global and does not care about order). The SDK's own warning about modules loaded
// too early looks for a global `require`, which CommonJS code does not have, so it never fires.
const INSTRUMENTED_MODULE = /\/node_modules\/(ioredis|pg)\//;

function warnAboutEarlyModules(log: Logger): void {
  const early = new Set<string>();
  for (const path of Object.keys(require.cache)) {
    const name = INSTRUMENTED_MODULE.exec(path)?.[1];
    if (name) early.add(name);
  }
  if (early.size > 0) {
    log.warn({ modules: [...early] }, 'loaded before startTelemetry, so not traced: import the telemetry module first in main.ts');
  }
}

const exportEnv = z.object({
  /** Megabytes a span file may reach before it is rotated to `.1` (0: no limit). */
  CACHELAB_TRACE_FILE_MAX_MB: z
    .string()
    .trim()
    .optional()
    .transform((value) => value || '256')
    .pipe(z.coerce.number<string>().min(0, 'expected megabytes >= 0 (0: no limit)')),
  /** `off`: no span file (the benchmarks measure the Zipkin exporter alone with it). */
  CACHELAB_TRACE_FILE: z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((value) => value || 'on')
    .pipe(z.enum(['on', 'off'])),
  /** Zipkin's span API, e.g. http://127.0.0.1:9411/api/v2/spans (the native stack sets it while its Zipkin runs). */
  CACHELAB_ZIPKIN_URL: z
    .string()
    .trim()
    .optional()
    .transform((value) => value || undefined)
    .pipe(z.url({ protocol: /^https?$/ }).optional()),
});

/**
 * One batch processor per destination, each with its own bounded queue: a slow or absent
 * collector drops its own spans (counted in a warning) and never holds up the others or the
 * request path. Standard OTEL_BSP_* variables tune them; the defaults differ from the SDK's in
 * two places: a 1 s delay (a trace shows up in the UI a second after its request, not five), and
 * a queue of 8192 spans (about two seconds of a hot path at full load; the SDK's 2048 dropped
 * spans under the benchmarks' load).
 */
function batchOptions(): { maxQueueSize: number; maxExportBatchSize: number; scheduledDelayMillis: number; exportTimeoutMillis: number } {
  const { getNumberFromEnv } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  return {
    maxQueueSize: getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE') ?? 8192,
    maxExportBatchSize: getNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? 512,
    scheduledDelayMillis: getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY') ?? 1000,
    exportTimeoutMillis: getNumberFromEnv('OTEL_BSP_EXPORT_TIMEOUT') ?? 10_000,
  };
}

/**
 * Where spans go: the span file (unless CACHELAB_TRACE_FILE=off), Zipkin when CACHELAB_ZIPKIN_URL
 * is set, and OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set (a Jaeger or a collector of the
 * user's own). The span file stays beside the collectors: `npm run traces` and the comparison's
 * fallback read it.
 */
export function createExporters(serviceName: string): SpanExporter[] {
  const config = loadConfig(exportEnv);
  const exporters: SpanExporter[] = [];
  if (config.CACHELAB_TRACE_FILE === 'on') {
    exporters.push(new JsonLinesSpanExporter(traceFilePath(serviceName), Math.round(config.CACHELAB_TRACE_FILE_MAX_MB * 2 ** 20)));
  }
  if (config.CACHELAB_ZIPKIN_URL) exporters.push(new ZipkinSpanExporter(config.CACHELAB_ZIPKIN_URL, serviceName));
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    // Reads the endpoint (and OTEL_EXPORTER_OTLP_HEADERS, ...) itself and appends /v1/traces.
    exporters.push(new OTLPTraceExporter());
  }
  return exporters;
}

function startSdk({ serviceName, serviceVersion }: TelemetryOptions): TelemetryHandle {
  // Required here rather than imported at the top: a process with telemetry off, or one that
  // only wants metrics and withSpan, never loads the SDK and its forty instrumentation packages.
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const { defaultResource, resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = require('@opentelemetry/semantic-conventions') as typeof import('@opentelemetry/semantic-conventions');
  const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node') as typeof import('@opentelemetry/auto-instrumentations-node');
  const { PrismaInstrumentation } = require('@prisma/instrumentation') as typeof import('@prisma/instrumentation');

  const log = createLogger(serviceName);
  // Without a diagnostic logger a failing exporter is silent. OTEL_LOG_LEVEL, when set, wins
  // (NodeSDK installs its console logger then).
  if (!process.env.OTEL_LOG_LEVEL) {
    diag.setLogger(otelDiagLogger(log), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  }
  warnAboutEarlyModules(log);

  const sdk = new NodeSDK({
    serviceName,
    resource: defaultResource().merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: serviceName,
        ...(serviceVersion ? { [ATTR_SERVICE_VERSION]: serviceVersion } : {}),
      }),
    ),
    spanProcessors: createExporters(serviceName).map((exporter) => new BatchSpanProcessor({ exporter, ...batchOptions() })),
    instrumentations: [getNodeAutoInstrumentations(autoInstrumentationConfig()), new PrismaInstrumentation()],
    // Metrics are served by prom-client (metrics.ts) and logs by pino: without these empty lists
    // NodeSDK would also start OTLP metric and log exporters aimed at localhost:4318.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();

  let stopped: Promise<void> | undefined;
  const handle: TelemetryHandle = {
    // Never rejects: a collector that is down costs the last spans, not the service's shutdown.
    shutdown: () =>
      (stopped ??= sdk.shutdown().catch((error: unknown) => {
        log.warn({ err: error }, 'telemetry shutdown could not export the last spans');
      })),
  };
  // A script that simply runs out of work still gets its last batch of spans written.
  process.once('beforeExit', () => void handle.shutdown());
  return handle;
}
