// Imported first by baseline-server.ts, as a service's main.ts imports its telemetry.ts first:
// with BASELINE_TRACING=on the bare baseline is traced the way the services are (the same SDK,
// instrumentations and exporter), so that the bench can also compare at equal tracing.
import { startTelemetry } from '@cachelab/telemetry';

export const tracing = process.env.BASELINE_TRACING === 'on';
export const telemetry = tracing ? startTelemetry({ serviceName: 'bench-baseline' }) : undefined;
